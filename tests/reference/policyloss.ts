// Float64 reference for the RL losses: PPO's clipped policy loss with a k3 KL penalty, PPO's
// clipped value loss, and the sums over tokens. Log-ratios are clamped to ±20 before exp, as in the
// kernel; the gradients are those of the clamped functions (0 beyond ±20).
const CLAMP = 20;

export interface PolicyLossOptions {
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

export function policyLossForward(
  logprob: Float64Array,
  oldLogprob: Float64Array,
  refLogprob: Float64Array,
  advantage: Float64Array,
  weight: Float64Array,
  N: number,
  { epsilonLow, epsilonHigh, beta }: PolicyLossOptions,
) {
  const loss = new Float64Array(N);
  const pg = new Float64Array(N);
  const kl = new Float64Array(N);
  const clip = new Float64Array(N);
  const ratio = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const a = advantage[n]!;
    const r = Math.exp(clamp(logprob[n]! - oldLogprob[n]!, -CLAMP, CLAMP));
    const clipped = clamp(r, 1 - epsilonLow, 1 + epsilonHigh);
    ratio[n] = r;
    pg[n] = -Math.min(r * a, clipped * a);
    clip[n] = (a > 0 && r > 1 + epsilonHigh) || (a < 0 && r < 1 - epsilonLow) ? 1 : 0;
    const c = clamp(refLogprob[n]! - logprob[n]!, -CLAMP, CLAMP);
    kl[n] = Math.expm1(c) - c;
    loss[n] = weight[n] === 0 ? 0 : weight[n]! * (pg[n]! + (beta === 0 ? 0 : beta * kl[n]!));
  }
  return { loss, pg, kl, clip, ratio };
}

/** ∂loss[n]/∂logprob[n]. */
export function policyLossBackward(
  logprob: Float64Array,
  oldLogprob: Float64Array,
  refLogprob: Float64Array,
  advantage: Float64Array,
  weight: Float64Array,
  N: number,
  o: PolicyLossOptions,
) {
  const { clip, ratio } = policyLossForward(logprob, oldLogprob, refLogprob, advantage, weight, N, o);
  const dlogprob = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const w = weight[n]!;
    if (w === 0) continue;
    const d = logprob[n]! - oldLogprob[n]!;
    const dpg = clip[n] === 0 && Math.abs(d) <= CLAMP ? -advantage[n]! * ratio[n]! : 0;
    const c = refLogprob[n]! - logprob[n]!;
    const dkl = Math.abs(c) <= CLAMP ? -Math.expm1(c) : 0; // 1 − exp(c)
    dlogprob[n] = w * (dpg + (o.beta === 0 ? 0 : o.beta * dkl));
  }
  return dlogprob;
}

export function valueLossForward(
  value: Float64Array,
  oldValue: Float64Array,
  returns: Float64Array,
  weight: Float64Array,
  N: number,
  cliprange: number,
) {
  const loss = new Float64Array(N);
  const clip = new Float64Array(N);
  const sqErr = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const delta = value[n]! - oldValue[n]!;
    const active = Math.abs(delta) > cliprange;
    const vclipped = active ? oldValue[n]! + clamp(delta, -cliprange, cliprange) : value[n]!;
    const e1 = (value[n]! - returns[n]!) ** 2;
    const e2 = (vclipped - returns[n]!) ** 2;
    sqErr[n] = e1;
    clip[n] = active && e2 > e1 ? 1 : 0;
    loss[n] = weight[n] === 0 ? 0 : weight[n]! * 0.5 * Math.max(e1, e2);
  }
  return { loss, clip, sqErr };
}

/** ∂loss[n]/∂value[n]. */
export function valueLossBackward(
  value: Float64Array,
  oldValue: Float64Array,
  returns: Float64Array,
  weight: Float64Array,
  N: number,
  cliprange: number,
) {
  const { clip } = valueLossForward(value, oldValue, returns, weight, N, cliprange);
  const dvalue = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    if (weight[n] === 0 || clip[n] === 1) continue;
    dvalue[n] = weight[n]! * (value[n]! - returns[n]!);
  }
  return dvalue;
}

/** sums[k] = Σ_n x[k, n] (weight null) or Σ_n weight[n]·x[k, n] over the tokens with weight ≠ 0. */
export function sumReduce(x: ArrayLike<number>, weight: ArrayLike<number> | null, K: number, N: number) {
  const sums = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      if (!weight) sums[k] += x[k * N + n]!;
      else if (weight[n] !== 0) sums[k] += weight[n]! * x[k * N + n]!;
    }
  }
  return sums;
}
