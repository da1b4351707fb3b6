// Launcher for shaders/adamw.wgsl. Shapes: param, m, v, grad (N); scale (1).
import { f32, u32, type ParamField } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 256;

/** torch.optim.AdamW's hyperparameters (defaults there: betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2). */
export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * The uniforms of adamwUpdate for step t (1, 2, ...: torch's `step` after its increment), with
 * the bias corrections computed here in float64. Per step: `dispatch.setParams(adamwParams(N, h, t))`.
 */
export function adamwParams(N: number, h: AdamwHyper, t: number): ParamField[] {
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`AdamW step ${t} is not an integer ≥ 1`);
  const stepSize = h.lr / (1 - h.beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  return [u32(N), f32(h.lr), f32(h.beta1), f32(h.beta2), f32(h.eps), f32(h.weightDecay), f32(stepSize), f32(bc2Sqrt)];
}

/**
 * One AdamW step on `param` with gradient grad · scale[0] (scale: the clip factor that
 * globalNormFinalize writes, or a tensor holding 1). A non-finite scale leaves param, m, v as
 * they are. m and v start as zeros (the pool does not clear buffers: write zeros first).
 * Built once per tensor; before each run call setParams(adamwParams(N, h, t)) with the new t or lr.
 */
export function adamwUpdate(
  gpu: Gpu,
  param: Tensor, // (N) updated in place
  m: Tensor, // (N) updated in place: first moment
  v: Tensor, // (N) updated in place: second moment
  grad: Tensor, // (N)
  scale: Tensor, // (1) multiplies grad
  N: number,
  h: AdamwHyper,
  t: number,
): Dispatch {
  return gpu.dispatch(
    'adamwUpdate',
    gpu.pipeline('adamw', 'adamwUpdate'),
    [param, m, v, grad, scale],
    adamwParams(N, h, t),
    grid1d(N, WG),
  );
}
