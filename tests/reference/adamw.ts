// Float64 reference for one torch.optim.AdamW step (single-tensor path, amsgrad and maximize
// off), written as torch/optim/adamw.py does it:
//   param.mul_(1 - lr * weight_decay)
//   exp_avg.lerp_(grad, 1 - beta1)
//   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
//   step_size = lr / (1 - beta1 ** step)
//   denom = (exp_avg_sq.sqrt() / sqrt(1 - beta2 ** step)).add_(eps)
//   param.addcdiv_(exp_avg, denom, value=-step_size)
// with grad already multiplied by the clip factor (torch.nn.utils.clip_grad_norm_). Updates
// param, m, v in place.
export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export function adamwUpdate(
  param: Float64Array,
  m: Float64Array,
  v: Float64Array,
  grad: Float64Array,
  scale: number,
  N: number,
  h: AdamwHyper,
  t: number,
): void {
  const stepSize = h.lr / (1 - h.beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  for (let i = 0; i < N; i++) {
    const g = grad[i]! * scale;
    param[i] = param[i]! * (1 - h.lr * h.weightDecay);
    m[i] = m[i]! + (g - m[i]!) * (1 - h.beta1);
    v[i] = v[i]! * h.beta2 + g * g * (1 - h.beta2);
    param[i] = param[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + h.eps);
  }
}
