// Launchers for shaders/rmsnorm.wgsl. Shapes: inp, out (N, C); rstd (N); weight (C).
import { f32, u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 64;

export function rmsnormForward(
  gpu: Gpu,
  out: Tensor, // (N, C) =
  rstd: Tensor, // (N) =
  inp: Tensor, // (N, C)
  weight: Tensor, // (C)
  N: number,
  C: number,
  eps: number,
): Dispatch {
  return gpu.dispatch(
    'rmsnormForward',
    gpu.pipeline('rmsnorm', 'rmsnormForward'),
    [out, rstd, inp, weight],
    [u32(N), u32(C), f32(eps)],
    grid1d(N, WG),
  );
}

/**
 * dinp += ∂L/∂inp (or = with `accumulate: false`), one invocation per row; and dweight += ∂L/∂weight,
 * one per channel, unless dweight is null (a frozen weight).
 */
export function rmsnormBackward(
  gpu: Gpu,
  dinp: Tensor, // (N, C) += (= without accumulate)
  dweight: Tensor | null, // (C) +=
  dout: Tensor, // (N, C)
  inp: Tensor, // (N, C)
  weight: Tensor, // (C)
  rstd: Tensor, // (N)
  N: number,
  C: number,
  { accumulate = true }: { accumulate?: boolean } = {},
): Dispatch[] {
  const params = [u32(N), u32(C), f32(0)];
  const pipeline = gpu.pipeline('rmsnorm', 'rmsnormBackward', { ACCUMULATE: accumulate ? 1 : 0 });
  const input = gpu.dispatch('rmsnormBackward', pipeline, [dinp, dout, inp, weight, rstd], params, grid1d(N, WG));
  if (!dweight) return [input];
  const forWeight = gpu.dispatch(
    'rmsnormBackwardWeight',
    gpu.pipeline('rmsnorm', 'rmsnormBackwardWeight'),
    [dweight, dout, inp, rstd],
    params,
    grid1d(C, WG),
  );
  return [input, forWeight];
}
