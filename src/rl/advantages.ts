// Advantage estimators. The group ones take per-sequence rewards laid out prompt by prompt, n
// completions each (sequence i belongs to prompt ⌊i/n⌋, TRL's repeat_interleave order), and
// give one advantage per sequence, which the trainer spreads over that sequence's completion
// tokens. GAE takes per-token values from a value head and gives per-token advantages and returns.
//
// Every std here is unbiased (n − 1), as torch.std, TRL and veRL compute it. A group whose rewards
// are all equal (isFlatGroup) gets advantages of exactly 0 from every group estimator: the mean of
// equal floats need not equal them, and a rounding residue divided by a tiny std is not a signal.
import { groupMean, groupStd, isFlatGroup } from './rewards.ts';

export const ADVANTAGE_ESTIMATORS = ['grpo', 'rloo', 'reinforce_pp_baseline', 'gae'] as const;
export type AdvantageEstimator = (typeof ADVANTAGE_ESTIMATORS)[number];

/** The critic-free estimators, whose baseline is the other completions of the same prompt. */
export const GROUP_ESTIMATORS = ['grpo', 'rloo', 'reinforce_pp_baseline'] as const satisfies readonly AdvantageEstimator[];
export type GroupEstimator = (typeof GROUP_ESTIMATORS)[number];

export const isGroupEstimator = (e: AdvantageEstimator): e is GroupEstimator => (GROUP_ESTIMATORS as readonly string[]).includes(e);

/** What GRPO adds to the group std before dividing: TRL's 1e-4. */
export const GRPO_STD_EPS = 1e-4;

/** What whitening adds to the variance before its square root: veRL's masked_whiten. */
export const WHITEN_VAR_EPS = 1e-8;

/** The rewards (N = G·n) cut into G groups of n. */
function groups(rewards: readonly number[], n: number): number[][] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`group size ${n} is not a positive integer`);
  if (rewards.length % n !== 0) throw new RangeError(`${rewards.length} rewards do not split into groups of ${n}`);
  const out: number[][] = [];
  for (let start = 0; start < rewards.length; start += n) out.push(rewards.slice(start, start + n));
  return out;
}

/**
 * GRPO (TRL's GRPOTrainer): r − group mean, divided by (group std + 1e-4) when scaleRewards
 * (TRL's scale_rewards true / "group"; false / "none" keeps r − mean, Dr. GRPO's choice).
 */
export function grpoAdvantages(rewards: readonly number[], n: number, scaleRewards: boolean): number[] {
  return groups(rewards, n).flatMap((group) => {
    if (isFlatGroup(group)) return group.map(() => 0);
    const mean = groupMean(group);
    const scale = scaleRewards ? groupStd(group) + GRPO_STD_EPS : 1;
    return group.map((r) => (r - mean) / scale);
  });
}

/** RLOO (Ahmadian et al. 2024): r_i − the mean of the other n − 1 rewards of its group; no std scaling. */
export function rlooAdvantages(rewards: readonly number[], n: number): number[] {
  if (n < 2) throw new RangeError('RLOO needs groups of at least 2: its baseline is the mean of the other completions');
  return groups(rewards, n).flatMap((group) => {
    if (isFlatGroup(group)) return group.map(() => 0);
    const sum = group.reduce((a, r) => a + r, 0);
    return group.map((r) => r - (sum - r) / (n - 1));
  });
}

/**
 * REINFORCE++-baseline (Hu et al. 2025, veRL's reinforce_plus_plus_baseline): r − group mean, then
 * divided by the std of those centred values over the whole batch, √(var + 1e-8). veRL whitens
 * the same values per token, so long completions weigh more and its re-centring gives flat groups
 * a small non-zero advantage; here each sequence counts once and flat groups keep exactly 0.
 */
export function reinforcePpBaselineAdvantages(rewards: readonly number[], n: number): number[] {
  const centred = groups(rewards, n).flatMap((group) => {
    if (isFlatGroup(group)) return group.map(() => 0);
    const mean = groupMean(group);
    return group.map((r) => r - mean);
  });
  // Every group is centred, so the batch mean is 0 up to rounding: dividing by the std is whitening.
  const std = Math.sqrt(groupStd(centred) ** 2 + WHITEN_VAR_EPS);
  return centred.map((a) => a / std);
}

/** One advantage per sequence by a group estimator. */
export function groupAdvantages(estimator: GroupEstimator, rewards: readonly number[], n: number, scaleRewards: boolean): number[] {
  switch (estimator) {
    case 'grpo':
      return grpoAdvantages(rewards, n, scaleRewards);
    case 'rloo':
      return rlooAdvantages(rewards, n);
    case 'reinforce_pp_baseline':
      return reinforcePpBaselineAdvantages(rewards, n);
  }
}

/** The fraction of groups whose rewards are all equal: TRL's frac_reward_zero_std. */
export function fracRewardZeroStd(rewards: readonly number[], n: number): number {
  const all = groups(rewards, n);
  return all.filter(isFlatGroup).length / all.length;
}

/**
 * (x − mean)/√(var + 1e-8) with mean and unbiased var over the positions where mask is 1; 0
 * elsewhere (veRL's masked_whiten, with padding zeroed). Fewer than two valid values have no
 * variance: they whiten to 0.
 */
export function maskedWhiten(x: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask[i] === 1) {
      count += 1;
      sum += x[i]!;
    }
  }
  if (count < 2) return out;
  const mean = sum / count;
  let sumSquares = 0;
  for (let i = 0; i < x.length; i++) if (mask[i] === 1) sumSquares += (x[i]! - mean) ** 2;
  const invStd = 1 / Math.sqrt(sumSquares / (count - 1) + WHITEN_VAR_EPS);
  for (let i = 0; i < x.length; i++) if (mask[i] === 1) out[i] = (x[i]! - mean) * invStd;
  return out;
}

export interface GaeResult {
  /** (B, T) whitened GAE advantages at completion tokens, 0 elsewhere. */
  advantages: Float64Array;
  /** (B, T) value targets: the GAE advantages before whitening plus the values; 0 off the mask. */
  returns: Float64Array;
}

/**
 * PPO's generalised advantage estimation (Schulman et al. 2016) as veRL computes it. Position t of
 * a row is a state whose action is the completion token there; mask marks those positions. The
 * sequence's reward arrives at its last masked position, the state after it is terminal (value
 * 0), and every other step's reward is 0:
 *   δ_t = r_t + γ·V(next) − V_t,   A_t = δ_t + γ·λ·A(next),   return_t = A_t + V_t,
 * where "next" is the next masked position (positions off the mask are skipped, as veRL skips
 * observation tokens). The advantages are then whitened over all masked positions of the batch.
 */
export function gaeAdvantages(
  rewards: readonly number[], // (B) one reward per sequence
  values: ArrayLike<number>, // (B, T) V(s_t) from the value head
  mask: ArrayLike<number>, // (B, T) 1 at completion tokens, 0 at prompt and padding
  B: number,
  T: number,
  gamma: number,
  lam: number,
): GaeResult {
  if (rewards.length !== B || values.length !== B * T || mask.length !== B * T) {
    throw new RangeError(`GAE needs ${B} rewards and (${B}, ${T}) values and mask, not ${rewards.length}, ${values.length} and ${mask.length}`);
  }
  const raw = new Float64Array(B * T);
  const returns = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let last = -1;
    for (let t = T - 1; t >= 0 && last < 0; t--) if (mask[row + t] === 1) last = t;
    if (last < 0) throw new RangeError(`sequence ${b} has no completion token to receive its reward`);
    // Walking backwards: the value and advantage of the next masked position; 0 past the end (terminal).
    let nextValue = 0;
    let nextAdvantage = 0;
    for (let t = last; t >= 0; t--) {
      if (mask[row + t] !== 1) continue;
      const value = values[row + t]!;
      const reward = t === last ? rewards[b]! : 0;
      const delta = reward + gamma * nextValue - value;
      nextAdvantage = delta + gamma * lam * nextAdvantage;
      nextValue = value;
      raw[row + t] = nextAdvantage;
      returns[row + t] = nextAdvantage + value;
    }
  }
  return { advantages: maskedWhiten(raw, mask), returns };
}
