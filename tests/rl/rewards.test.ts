import { describe, expect, it } from 'vitest';
import { groupMean, groupRewards, groupStd, helpfulnessRewards, isFlatGroup, safetyReward } from '../../src/rl/rewards.ts';

const ONES = { r_f: 1, r_a: 1, w_h: 1 };

describe('the safety reward', () => {
  it('adds V_r for harmful prompts and subtracts it for benign ones', () => {
    // Harmful: R_s = r_f·V_f + r_a·V_r.
    expect(safetyReward('harmful', 1, 1, ONES)).toBe(2);
    expect(safetyReward('harmful', 1, 0, ONES)).toBe(1);
    expect(safetyReward('harmful', 0, 1, ONES)).toBe(1);
    expect(safetyReward('harmful', 0, 0, ONES)).toBe(0);
    // Benign: R_s = r_f·V_f − r_a·V_r.
    expect(safetyReward('benign', 1, 0, ONES)).toBe(1);
    expect(safetyReward('benign', 1, 1, ONES)).toBe(0);
    expect(safetyReward('benign', 0, 1, ONES)).toBe(-1);
    // r_f = 0.5, r_a = 2: harmful 0.5·1 + 2·1 = 2.5; benign 0.5·1 − 2·1 = −1.5.
    const weights = { r_f: 0.5, r_a: 2, w_h: 1 };
    expect(safetyReward('harmful', 1, 1, weights)).toBe(2.5);
    expect(safetyReward('benign', 1, 1, weights)).toBe(-1.5);
  });
});

describe('group statistics', () => {
  it('use the unbiased std (n − 1), as torch.std and TRL do', () => {
    // [0, 1, 2]: mean 1, squared deviations 1 + 0 + 1 = 2, 2 / (3 − 1) = 1 (population: 2/3).
    expect(groupMean([0, 1, 2])).toBe(1);
    expect(groupStd([0, 1, 2])).toBe(1);
    // One value has no spread: 0, not torch's NaN.
    expect(groupStd([5])).toBe(0);
    expect(isFlatGroup([0.1, 0.1, 0.1])).toBe(true);
    expect(isFlatGroup([0, 1e-6])).toBe(false);
  });
});

describe('the helpfulness reward', () => {
  it('z-normalises within the group and keeps max(z, 0) for non-refusals', () => {
    // scores [4, 0, 2, 6, 3]: mean 15/5 = 3, deviations 1, −3, −1, 3, 0,
    // squares 1 + 9 + 1 + 9 + 0 = 20, unbiased var 20/4 = 5, std √5 ≈ 2.2360680.
    // z = [1, −3, −1, 3, 0] / (√5 + 1e-6) ≈ [0.4472, −1.3416, −0.4472, 1.3416, 0].
    // The fourth answer is a refusal: 0 despite the highest z. Negative z clip to 0.
    const rewards = helpfulnessRewards([4, 0, 2, 6, 3], [0, 0, 0, 1, 0]);
    expect(rewards[0]).toBeCloseTo(1 / (Math.sqrt(5) + 1e-6), 12);
    expect(rewards[0]).toBeCloseTo(0.4472134, 6); // the population std (2) would give 0.5
    expect(rewards.slice(1)).toEqual([0, 0, 0, 0]);
  });

  it('gives 0, not NaN, when every score is the same', () => {
    expect(helpfulnessRewards([0.7, 0.7, 0.7], [0, 0, 0])).toEqual([0, 0, 0]);
    expect(helpfulnessRewards([3], [0])).toEqual([0]);
  });

  it('refuses scores that do not match the completions', () => {
    expect(() => helpfulnessRewards([1, 2], [0])).toThrow('2 helpfulness scores for 1 completions');
  });
});

describe('the rewards of a group', () => {
  it('adds w_h·R_h to a benign prompt’s safety reward', () => {
    // V_f all 1, V_r [0, 0, 0, 1, 0]: R_s = [1, 1, 1, 0, 1]. R_h as above: [0.4472…, 0, 0, 0, 0]. w_h = 2.
    const rewards = groupRewards(
      { label: 'benign', formatScores: [1, 1, 1, 1, 1], refusalScores: [0, 0, 0, 1, 0], helpfulnessScores: [4, 0, 2, 6, 3] },
      { r_f: 1, r_a: 1, w_h: 2 },
    );
    const h = 1 / (Math.sqrt(5) + 1e-6);
    expect(rewards[0]!.safety).toBe(1);
    expect(rewards[0]!.helpfulness).toBeCloseTo(h, 12);
    expect(rewards[0]!.total).toBeCloseTo(1 + 2 * h, 12);
    expect(rewards.slice(1)).toEqual([
      { safety: 1, helpfulness: 0, total: 1 },
      { safety: 1, helpfulness: 0, total: 1 },
      { safety: 0, helpfulness: 0, total: 0 },
      { safety: 1, helpfulness: 0, total: 1 },
    ]);
  });

  it('gives harmful prompts R = R_s whatever the scorer says', () => {
    // The second answer complies and scores highest (z > 0 in its group): still no R_h on a harmful prompt.
    const rewards = groupRewards(
      { label: 'harmful', formatScores: [1, 0, 1], refusalScores: [1, 0, 0], helpfulnessScores: [0, 10, 5] },
      { r_f: 1, r_a: 1, w_h: 5 },
    );
    expect(rewards).toEqual([
      { safety: 2, helpfulness: 0, total: 2 },
      { safety: 0, helpfulness: 0, total: 0 },
      { safety: 1, helpfulness: 0, total: 1 },
    ]);
  });

  it('gives no helpfulness reward with the scorer "none"', () => {
    const rewards = groupRewards({ label: 'benign', formatScores: [1, 0], refusalScores: [0, 1], helpfulnessScores: null }, ONES);
    expect(rewards).toEqual([
      { safety: 1, helpfulness: 0, total: 1 },
      { safety: -1, helpfulness: 0, total: -1 },
    ]);
  });

  it('refuses verifier scores of different lengths', () => {
    expect(() => groupRewards({ label: 'benign', formatScores: [1, 0], refusalScores: [0], helpfulnessScores: null }, ONES)).toThrow(RangeError);
  });
});
