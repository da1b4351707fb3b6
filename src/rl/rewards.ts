// The AlphaAlign rewards of DESIGN.md §1 for one prompt's group of n completions: a safety
// reward from the two verifiers, a helpfulness reward for benign prompts from scores
// z-normalised within the group, and their weighted sum.
//
// Group statistics follow TRL's GRPO (torch.std, unbiased: divided by n − 1), and the advantage
// estimators use the same two functions, so "std" means one thing across the lab.
import type { Label } from '../data/schema.ts';

/** The weights of DESIGN.md §1, named as in the RL config. */
export interface RewardWeights {
  /** Weight of the format verifier V_f in the safety reward. */
  r_f: number;
  /** Weight of the refusal verifier V_r: + for harmful prompts, − for benign ones. */
  r_a: number;
  /** Weight of the helpfulness reward R_h in a benign prompt's total. */
  w_h: number;
}

export interface CompletionReward {
  /** R_s. */
  safety: number;
  /** R_h: max(z, 0) for a benign non-refusal, else 0. */
  helpfulness: number;
  /** R: R_s for a harmful prompt, R_s + w_h·R_h for a benign one. */
  total: number;
}

export interface RewardGroup {
  label: Label;
  /** (n) V_f of each completion. */
  formatScores: readonly (0 | 1)[];
  /** (n) V_r of each completion. */
  refusalScores: readonly (0 | 1)[];
  /** (n) the helpfulness scorer's raw scores; null for the scorer 'none'. Ignored for harmful prompts. */
  helpfulnessScores: readonly number[] | null;
}

/** What z-normalising the helpfulness scores adds to the std (DESIGN.md §1). */
export const HELPFULNESS_STD_EPS = 1e-6;

/** A group whose std is at most this has no spread: torch.isclose(std, 0)'s tolerance, as TRL tests it. */
export const FLAT_GROUP_STD = 1e-8;

export function groupMean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * The unbiased standard deviation (divided by n − 1), as torch.std and so TRL's GRPO compute it.
 * A single value has no spread: 0 here, where torch.std gives NaN.
 */
export function groupStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = groupMean(values);
  let sumSquares = 0;
  for (const v of values) sumSquares += (v - mean) ** 2;
  return Math.sqrt(sumSquares / (values.length - 1));
}

/** Whether a group's values carry no signal: every group estimator gives it advantages of exactly 0. */
export function isFlatGroup(values: readonly number[]): boolean {
  return groupStd(values) <= FLAT_GROUP_STD;
}

/** Harmful: R_s = r_f·V_f + r_a·V_r (refusing is right). Benign: R_s = r_f·V_f − r_a·V_r (refusing is wrong). */
export function safetyReward(label: Label, formatScore: 0 | 1, refusalScore: 0 | 1, weights: RewardWeights): number {
  const refusalSign = label === 'harmful' ? 1 : -1;
  return weights.r_f * formatScore + refusalSign * weights.r_a * refusalScore;
}

/**
 * R_h of a benign prompt's group: z = (s − mean)/(std + 1e-6) over all n scores, refusals
 * included (they were sampled from the same policy); then max(z, 0) for answers that are not
 * refusals and 0 for refusals. A flat group gives z = 0 exactly (not a rounding residue).
 */
export function helpfulnessRewards(scores: readonly number[], refusalScores: readonly (0 | 1)[]): number[] {
  if (scores.length !== refusalScores.length) {
    throw new RangeError(`${scores.length} helpfulness scores for ${refusalScores.length} completions`);
  }
  if (isFlatGroup(scores)) return scores.map(() => 0);
  const mean = groupMean(scores);
  const std = groupStd(scores);
  return scores.map((s, i) => (refusalScores[i] === 1 ? 0 : Math.max((s - mean) / (std + HELPFULNESS_STD_EPS), 0)));
}

/** The rewards of one prompt's n completions, in the order given. */
export function groupRewards(group: RewardGroup, weights: RewardWeights): CompletionReward[] {
  const n = group.formatScores.length;
  if (group.refusalScores.length !== n) throw new RangeError(`${n} format scores but ${group.refusalScores.length} refusal scores`);
  const helpfulness =
    group.label === 'benign' && group.helpfulnessScores !== null ? helpfulnessRewards(group.helpfulnessScores, group.refusalScores) : new Array<number>(n).fill(0);
  return group.formatScores.map((formatScore, i) => {
    const safety = safetyReward(group.label, formatScore, group.refusalScores[i]!, weights);
    const h = helpfulness[i]!;
    return { safety, helpfulness: h, total: group.label === 'harmful' ? safety : safety + weights.w_h * h };
  });
}
