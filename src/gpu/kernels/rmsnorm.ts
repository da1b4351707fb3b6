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
    grid1d(N, 1),
  );
}

/** dinp += ∂L/∂inp; two dispatches: the input gradient per row, the weight gradient per channel. */
export function rmsnormBackward(
  gpu: Gpu,
  dinp: Tensor, // (N, C) +=
  dweight: Tensor, // (C) +=
  dout: Tensor, // (N, C)
  inp: Tensor, // (N, C)
  weight: Tensor, // (C)
  rstd: Tensor, // (N)
  N: number,
  C: number,
): Dispatch[] {
  const params = [u32(N), u32(C), f32(0)];
  return [
    gpu.dispatch(
      'rmsnormBackward',
      gpu.pipeline('rmsnorm', 'rmsnormBackward'),
      [dinp, dout, inp, weight, rstd],
      params,
      grid1d(N, 1),
    ),
    gpu.dispatch(
      'rmsnormBackwardWeight',
      gpu.pipeline('rmsnorm', 'rmsnormBackwardWeight'),
      [dweight, dout, inp, rstd],
      params,
      grid1d(C, WG),
    ),
  ];
}
