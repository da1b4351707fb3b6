// Launchers for shaders/policyloss.wgsl: PPO's clipped policy loss with a k3 KL penalty, PPO's
// clipped value loss, and deterministic sums over tokens. Shapes: logprob, oldLogprob,
// refLogprob, advantage, weight, loss, dlogprob, value, oldValue, returns, dvalue (N), N = B·T;
// stats (K, N) row-major (policy rows POLICY_STAT, value rows VALUE_STAT); partials
// (sumPartialCount(K, N)); sums (≥ offset + K).
//
// weight[n] = mask[n] / (valid tokens in the whole batch), filled by the caller (token-level
// normalisation): Σ loss is then the batch loss, and the backward needs no upstream gradient
// (dlogprob = ∂loss[n]/∂logprob[n], i.e. ∂(Σ loss)/∂logprob). Tokens of weight 0 get loss 0 and
// gradient 0 exactly, whatever their inputs hold.
//
// Once per shape:
//   const loss = gpu.tensor([N], 'pg loss'), stats = gpu.tensor([POLICY_STATS, N], 'pg stats');
//   const partials = gpu.tensor([sumPartialCount(POLICY_STATS, N)], 'sum partials');
//   const sums = gpu.tensor([POLICY_SUMS], 'pg sums');
//   const fwd = policyLossForward(gpu, loss, stats, logprob, oldLogprob, refLogprob, adv, weight, N, o);
//   const red = policyLossSums(gpu, sums, partials, loss, stats, weight, N);
//   const bwd = policyLossBackward(gpu, dlogprob, logprob, oldLogprob, refLogprob, adv, weight, N, o);
// Each step: gpu.run([...head.forward, fwd, ...red, bwd, ...head.backward(.., dlogprob, ..)]) (a
// VocabularyHead's log-probs and their backward), then
// read the POLICY_SUMS scalars back once.
import { f32, u32, type ParamField } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 256;

/** Tokens summed by one workgroup of sumPartial (WG 256 × 16 per invocation). */
export const SUM_CHUNK = 4096;

/** The log-ratios logprob − oldLogprob and refLogprob − logprob are clamped to ±20 before exp. */
export const LOG_RATIO_CLAMP = 20;

/** Rows of the policy stats tensor (POLICY_STATS, N); all unweighted per-token values. */
export const POLICY_STAT = { pg: 0, kl: 1, clip: 2, ratio: 3 } as const;
export const POLICY_STATS = 4;

/** Rows of the value stats tensor (VALUE_STATS, N); all unweighted per-token values. */
export const VALUE_STAT = { clip: 0, sqErr: 1 } as const;
export const VALUE_STATS = 2;

/** policyLossSums writes sums[offset + i] for these i: Σ loss, then Σ weight·stat per stat row. */
export const POLICY_SUM = { loss: 0, pg: 1, kl: 2, clip: 3, ratio: 4 } as const;
export const POLICY_SUMS = 5;

/** valueLossSums writes sums[offset + i] for these i. */
export const VALUE_SUM = { loss: 0, clip: 1, sqErr: 2 } as const;
export const VALUE_SUMS = 3;

export interface PolicyLossOptions {
  /** PPO's ε below 1: the ratio clips at 1 − epsilonLow; in [0, 1). TRL's epsilon. */
  epsilonLow: number;
  /** PPO's ε above 1: the ratio clips at 1 + epsilonHigh; ≥ 0. TRL's epsilon_high (DAPO). */
  epsilonHigh: number;
  /** Weight of the k3 KL penalty to the reference policy; ≥ 0 (0: refLogprob is not read into the loss). */
  beta: number;
}

export interface BackwardOptions {
  /** d += (true) or d = (false, default: logprob / value feed nothing else). */
  accumulate?: boolean;
}

function checkSizes(what: string, N: number, tensors: Record<string, [Tensor, number]>): void {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`${what}: N must be a positive integer, got ${N}`);
  for (const [name, [t, rows]] of Object.entries(tensors)) {
    if (t.size < rows * N) throw new RangeError(`${what}: ${name} (${t.label}) holds ${t.size} values, needs ${rows}·${N}`);
  }
}

/** The uniforms of the policy dispatches, in order: for `setParams` when β or ε change. */
export function policyLossParams(N: number, o: PolicyLossOptions): ParamField[] {
  const { epsilonLow, epsilonHigh, beta } = o;
  if (!(epsilonLow >= 0 && epsilonLow < 1)) {
    throw new RangeError(`policyLoss: epsilonLow must be in [0, 1), got ${epsilonLow}`);
  }
  if (!(epsilonHigh >= 0 && Number.isFinite(epsilonHigh))) {
    throw new RangeError(`policyLoss: epsilonHigh must be finite and ≥ 0, got ${epsilonHigh}`);
  }
  if (!(beta >= 0 && Number.isFinite(beta))) throw new RangeError(`policyLoss: beta must be finite and ≥ 0, got ${beta}`);
  return [u32(N), f32(epsilonLow), f32(epsilonHigh), f32(beta)];
}

/** The uniforms of the value dispatches, in order: for `setParams` when the cliprange changes. */
export function valueLossParams(N: number, cliprange: number): ParamField[] {
  if (!(cliprange >= 0 && Number.isFinite(cliprange))) {
    throw new RangeError(`valueLoss: cliprange must be finite and ≥ 0, got ${cliprange}`);
  }
  return [u32(N), f32(cliprange)];
}

/**
 * loss[n] = weight·(pg + β·kl), with ratio = exp(clamp(logprob − oldLogprob, ±20)),
 * pg = −min(ratio·A, clamp(ratio, 1 − ε_l, 1 + ε_h)·A), kl = k3 = e^c − c − 1 for
 * c = clamp(refLogprob − logprob, ±20); stats rows (POLICY_STAT): pg, kl, clip (1 where the
 * clipped branch is the minimum), ratio. With β = 0, refLogprob may be any (N) tensor (e.g.
 * oldLogprob): it then only feeds the kl stat.
 */
export function policyLossForward(
  gpu: Gpu,
  loss: Tensor, // (N) =
  stats: Tensor, // (POLICY_STATS, N) =
  logprob: Tensor, // (N) under the current policy (VocabularyHead.forward)
  oldLogprob: Tensor, // (N) under the sampling policy
  refLogprob: Tensor, // (N) under the reference policy
  advantage: Tensor, // (N)
  weight: Tensor, // (N) mask / valid tokens in the batch
  N: number,
  options: PolicyLossOptions,
): Dispatch {
  checkSizes('policyLossForward', N, {
    loss: [loss, 1],
    stats: [stats, POLICY_STATS],
    logprob: [logprob, 1],
    oldLogprob: [oldLogprob, 1],
    refLogprob: [refLogprob, 1],
    advantage: [advantage, 1],
    weight: [weight, 1],
  });
  return gpu.dispatch(
    'policyLossForward',
    gpu.pipeline('policyloss', 'policyLossForward'),
    [loss, stats, logprob, oldLogprob, refLogprob, advantage, weight],
    policyLossParams(N, options),
    grid1d(N, WG),
  );
}

/**
 * dlogprob[n] = ∂loss[n]/∂logprob[n] = weight·(−A·ratio·[not clipped, |logprob − old| ≤ 20]
 * + β·(1 − exp(refLogprob − logprob))·[|refLogprob − logprob| ≤ 20]); feed it to VocabularyHead.backward.
 */
export function policyLossBackward(
  gpu: Gpu,
  dlogprob: Tensor, // (N) = (+= with accumulate: true)
  logprob: Tensor, // (N)
  oldLogprob: Tensor, // (N)
  refLogprob: Tensor, // (N)
  advantage: Tensor, // (N)
  weight: Tensor, // (N)
  N: number,
  options: PolicyLossOptions & BackwardOptions,
): Dispatch {
  checkSizes('policyLossBackward', N, {
    dlogprob: [dlogprob, 1],
    logprob: [logprob, 1],
    oldLogprob: [oldLogprob, 1],
    refLogprob: [refLogprob, 1],
    advantage: [advantage, 1],
    weight: [weight, 1],
  });
  const accumulate = options.accumulate ?? false;
  return gpu.dispatch(
    accumulate ? 'policyLossBackward (+=)' : 'policyLossBackward',
    gpu.pipeline('policyloss', 'policyLossBackward', { ACCUMULATE: accumulate ? 1 : 0 }),
    [dlogprob, logprob, oldLogprob, refLogprob, advantage, weight],
    policyLossParams(N, options),
    grid1d(N, WG),
  );
}

/**
 * loss[n] = weight·0.5·max((value − R)², (vclipped − R)²), vclipped = oldValue + clamp(value −
 * oldValue, ±cliprange); stats rows (VALUE_STAT): clip (1 where the clipped branch is the max and
 * clipping is active), sqErr = (value − R)².
 */
export function valueLossForward(
  gpu: Gpu,
  loss: Tensor, // (N) =
  stats: Tensor, // (VALUE_STATS, N) =
  value: Tensor, // (N) predictions of the value head
  oldValue: Tensor, // (N) predictions at rollout time
  returns: Tensor, // (N) targets R (GAE returns)
  weight: Tensor, // (N)
  N: number,
  cliprange: number,
): Dispatch {
  checkSizes('valueLossForward', N, {
    loss: [loss, 1],
    stats: [stats, VALUE_STATS],
    value: [value, 1],
    oldValue: [oldValue, 1],
    returns: [returns, 1],
    weight: [weight, 1],
  });
  return gpu.dispatch(
    'valueLossForward',
    gpu.pipeline('policyloss', 'valueLossForward'),
    [loss, stats, value, oldValue, returns, weight],
    valueLossParams(N, cliprange),
    grid1d(N, WG),
  );
}

/** dvalue[n] = ∂loss[n]/∂value[n] = weight·(value − R), or 0 where the clipped branch is active. */
export function valueLossBackward(
  gpu: Gpu,
  dvalue: Tensor, // (N) = (+= with accumulate: true)
  value: Tensor, // (N)
  oldValue: Tensor, // (N)
  returns: Tensor, // (N)
  weight: Tensor, // (N)
  N: number,
  cliprange: number,
  options: BackwardOptions = {},
): Dispatch {
  checkSizes('valueLossBackward', N, {
    dvalue: [dvalue, 1],
    value: [value, 1],
    oldValue: [oldValue, 1],
    returns: [returns, 1],
    weight: [weight, 1],
  });
  const accumulate = options.accumulate ?? false;
  return gpu.dispatch(
    accumulate ? 'valueLossBackward (+=)' : 'valueLossBackward',
    gpu.pipeline('policyloss', 'valueLossBackward', { ACCUMULATE: accumulate ? 1 : 0 }),
    [dvalue, value, oldValue, returns, weight],
    valueLossParams(N, cliprange),
    grid1d(N, WG),
  );
}

/** Partial sums a reduction of K rows of N tokens writes (the partials tensor's minimum size). */
export function sumPartialCount(K: number, N: number): number {
  return K * Math.ceil(N / SUM_CHUNK);
}

/**
 * sums[offset + k] = Σ_n x[k, n] (weight null) or Σ_n weight[n]·x[k, n] over the tokens with
 * weight ≠ 0, for k < K: a partial dispatch (partials =, scratch) and a finalize (one workgroup
 * per row), every sum in a fixed order (deterministic). Reductions run one after another may
 * share one partials tensor.
 */
export function sumReduce(
  gpu: Gpu,
  sums: Tensor, // (≥ offset + K) = the slice [offset, offset + K)
  partials: Tensor, // (≥ sumPartialCount(K, N)) = scratch
  x: Tensor, // (K, N)
  weight: Tensor | null, // (N) or null for plain sums
  K: number,
  N: number,
  offset = 0,
): Dispatch[] {
  if (!Number.isInteger(K) || K < 1 || K > 65535) throw new RangeError(`sumReduce: K must be an integer in [1, 65535], got ${K}`);
  checkSizes('sumReduce', N, { x: [x, K], ...(weight ? { weight: [weight, 1] as [Tensor, number] } : {}) });
  if (partials.size < sumPartialCount(K, N)) {
    throw new RangeError(`sumReduce: partials (${partials.label}) holds ${partials.size} values, needs ${sumPartialCount(K, N)}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + K > sums.size) {
    throw new RangeError(`sumReduce: sums [${offset}, ${offset + K}) overflow ${sums.label} (${sums.size})`);
  }
  const groups = Math.ceil(N / SUM_CHUNK);
  const params = [u32(N), u32(K), u32(groups), u32(offset)];
  const entry = weight ? 'weightedSumPartial' : 'sumPartial';
  const partial = gpu.dispatch(
    entry,
    gpu.pipeline('policyloss', entry),
    weight ? [partials, x, weight] : [partials, x],
    params,
    grid1d(K * groups, 1),
  );
  const finalize = gpu.dispatch('sumFinalize', gpu.pipeline('policyloss', 'sumFinalize'), [sums, partials], params, [K]);
  return [partial, finalize];
}

/**
 * sums[offset + POLICY_SUM.*] = Σ loss, Σ weight·pg, Σ weight·kl, Σ weight·clip (the clip
 * fraction), Σ weight·ratio: with token-level weights (Σ weight = 1) these are the batch loss and
 * the means the trainer reports.
 */
export function policyLossSums(
  gpu: Gpu,
  sums: Tensor, // (≥ offset + POLICY_SUMS) =
  partials: Tensor, // (≥ sumPartialCount(POLICY_STATS, N)) = scratch
  loss: Tensor, // (N) from policyLossForward
  stats: Tensor, // (POLICY_STATS, N) from policyLossForward
  weight: Tensor, // (N)
  N: number,
  offset = 0,
): Dispatch[] {
  return [
    ...sumReduce(gpu, sums, partials, loss, null, 1, N, offset + POLICY_SUM.loss),
    ...sumReduce(gpu, sums, partials, stats, weight, POLICY_STATS, N, offset + POLICY_SUM.pg),
  ];
}

/** sums[offset + VALUE_SUM.*] = Σ loss, Σ weight·clip (veRL's vf_clipfrac), Σ weight·(value − R)². */
export function valueLossSums(
  gpu: Gpu,
  sums: Tensor, // (≥ offset + VALUE_SUMS) =
  partials: Tensor, // (≥ sumPartialCount(VALUE_STATS, N)) = scratch
  loss: Tensor, // (N) from valueLossForward
  stats: Tensor, // (VALUE_STATS, N) from valueLossForward
  weight: Tensor, // (N)
  N: number,
  offset = 0,
): Dispatch[] {
  return [
    ...sumReduce(gpu, sums, partials, loss, null, 1, N, offset + VALUE_SUM.loss),
    ...sumReduce(gpu, sums, partials, stats, weight, VALUE_STATS, N, offset + VALUE_SUM.clip),
  ];
}
