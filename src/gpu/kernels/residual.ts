// Launchers for shaders/residual.wgsl. Shapes: a, b, out, dout, da, db (N), any shape of N elements.
import { u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 256;

/** out = a + b. `out` must be a third buffer (no in-place: WebGPU forbids the aliasing). */
export function residualForward(
  gpu: Gpu,
  out: Tensor, // (N) =
  a: Tensor, // (N)
  b: Tensor, // (N)
  N: number,
): Dispatch {
  return gpu.dispatch('residualForward', gpu.pipeline('residual', 'residualForward'), [out, a, b], [u32(N)], grid1d(N, WG));
}

/** da += dout and db += dout: the gradient routes unchanged into both branches. da ≠ db. */
export function residualBackward(
  gpu: Gpu,
  da: Tensor, // (N) +=
  db: Tensor, // (N) +=
  dout: Tensor, // (N)
  N: number,
): Dispatch {
  return gpu.dispatch('residualBackward', gpu.pipeline('residual', 'residualBackward'), [da, db, dout], [u32(N)], grid1d(N, WG));
}
