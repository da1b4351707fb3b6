// Launchers for shaders/swiglu.wgsl. Shapes: gate, up, out (N, H): two separate tensors (the
// outputs of gate_proj and up_proj), N rows (B·T), H the MLP hidden size.
import { u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 256;

/** out = silu(gate) · up, element-wise. */
export function swigluForward(
  gpu: Gpu,
  out: Tensor, // (N, H) =
  gate: Tensor, // (N, H)
  up: Tensor, // (N, H)
  N: number,
  H: number,
): Dispatch {
  return gpu.dispatch(
    'swigluForward',
    gpu.pipeline('swiglu', 'swigluForward'),
    [out, gate, up],
    [u32(N), u32(H)],
    grid1d(N * H, WG),
  );
}

/** dgate = dout · up · silu'(gate), dup = dout · silu(gate); dgate ≠ dup. */
export function swigluBackward(
  gpu: Gpu,
  dgate: Tensor, // (N, H) =
  dup: Tensor, // (N, H) =
  dout: Tensor, // (N, H)
  gate: Tensor, // (N, H)
  up: Tensor, // (N, H)
  N: number,
  H: number,
): Dispatch {
  return gpu.dispatch(
    'swigluBackward',
    gpu.pipeline('swiglu', 'swigluBackward'),
    [dgate, dup, dout, gate, up],
    [u32(N), u32(H)],
    grid1d(N * H, WG),
  );
}
