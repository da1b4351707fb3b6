import { describe, expect, it } from 'vitest';
import {
  fracRewardZeroStd,
  gaeAdvantages,
  groupAdvantages,
  grpoAdvantages,
  maskedWhiten,
  reinforcePpBaselineAdvantages,
  rlooAdvantages,
} from '../../src/rl/advantages.ts';

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 10) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('grpo', () => {
  it('divides r − group mean by the unbiased group std + 1e-4', () => {
    // Group 1 [0, 1, 2]: mean 1, unbiased std √((1 + 0 + 1)/2) = 1, so (r − 1)/(1 + 1e-4).
    // (The population std √(2/3) would give ±1.2247.) Group 2 [2, 2, 2] is flat: 0.
    const a = grpoAdvantages([0, 1, 2, 2, 2, 2], 3, true);
    expectClose(a, [-1 / 1.0001, 0, 1 / 1.0001, 0, 0, 0]);
    expect(a[3]).toBe(0);
  });

  it('keeps r − mean without scale_rewards', () => {
    // Group [1, 5, 3]: mean 3 → [−2, 2, 0].
    expectClose(grpoAdvantages([0, 1, 2, 1, 5, 3], 3, false), [-1, 0, 1, -2, 2, 0]);
  });

  it('gives exactly 0 to a group of equal rewards, not a rounding residue or NaN', () => {
    // (0.1 + 0.1 + 0.1)/3 = 0.10000000000000002 in floats: r − mean would be −1.4e-17, ÷ 1e-4 ≈ −1.4e-13.
    expect((0.1 + 0.1 + 0.1) / 3).not.toBe(0.1);
    for (const scale of [true, false]) expect(grpoAdvantages([0.1, 0.1, 0.1], 3, scale)).toEqual([0, 0, 0]);
  });

  it('refuses rewards that do not make whole groups', () => {
    expect(() => grpoAdvantages([1, 2, 3], 2, true)).toThrow('3 rewards do not split into groups of 2');
  });
});

describe('rloo', () => {
  it('subtracts the mean of the other n − 1 rewards', () => {
    // [0, 1, 2]: 0 − (1 + 2)/2 = −1.5, 1 − (0 + 2)/2 = 0, 2 − (0 + 1)/2 = 1.5.
    // [1, 5, 3]: 1 − (5 + 3)/2 = −3, 5 − (1 + 3)/2 = 3, 3 − (1 + 5)/2 = 0.
    expectClose(rlooAdvantages([0, 1, 2, 1, 5, 3], 3), [-1.5, 0, 1.5, -3, 3, 0]);
    expect(rlooAdvantages([0.1, 0.1, 0.1], 3)).toEqual([0, 0, 0]);
    expect(() => rlooAdvantages([1, 2], 1)).toThrow('at least 2');
  });
});

describe('reinforce_pp_baseline', () => {
  it('centres on the group mean, then divides by the batch std of the centred values', () => {
    // Group 1 [0, 1, 2] − 1 = [−1, 0, 1]; group 2 [4, 4, 6] − 14/3 = [−2/3, −2/3, 4/3].
    // Batch of 6, mean 0: squares 1 + 0 + 1 + 4/9 + 4/9 + 16/9 = 14/3; unbiased var (14/3)/5 = 14/15;
    // std √(14/15 + 1e-8) ≈ 0.9660918.
    const std = Math.sqrt(14 / 15 + 1e-8);
    const a = reinforcePpBaselineAdvantages([0, 1, 2, 4, 4, 6], 3);
    expectClose(a, [-1 / std, 0, 1 / std, -2 / 3 / std, -2 / 3 / std, 4 / 3 / std]);
    expect(a[2]).toBeCloseTo(1.035098, 6);
  });

  it('gives 0 to flat groups, and to a batch of flat groups, without NaN', () => {
    const a = reinforcePpBaselineAdvantages([0, 1, 2, 3, 3, 3], 3);
    expect(a.slice(3)).toEqual([0, 0, 0]);
    expect(reinforcePpBaselineAdvantages([1, 1, 2, 2], 2)).toEqual([0, 0, 0, 0]);
  });
});

describe('groupAdvantages', () => {
  it('dispatches on the estimator', () => {
    const rewards = [0, 1, 2, 1, 5, 3];
    expect(groupAdvantages('grpo', rewards, 3, false)).toEqual(grpoAdvantages(rewards, 3, false));
    expect(groupAdvantages('rloo', rewards, 3, true)).toEqual(rlooAdvantages(rewards, 3));
    expect(groupAdvantages('reinforce_pp_baseline', rewards, 3, true)).toEqual(reinforcePpBaselineAdvantages(rewards, 3));
  });
});

describe('frac_reward_zero_std', () => {
  it('is the fraction of groups whose rewards are all equal', () => {
    // Groups [1,1,1] flat, [0,1,0] not, [2,2,2] flat, [0.1,0.1,0.1] flat: 3 of 4.
    expect(fracRewardZeroStd([1, 1, 1, 0, 1, 0, 2, 2, 2, 0.1, 0.1, 0.1], 3)).toBe(0.75);
    expect(fracRewardZeroStd([0, 1], 2)).toBe(0);
  });
});

describe('gae', () => {
  it('matches a 3-token example worked by hand, then whitens over the valid tokens', () => {
    // Row 0: a prompt position (mask 0), then 3 completion tokens with V = [0.5, 0.2, 0.4] and
    // reward 1 at the last; γ = 0.9, λ = 0.8, so γλ = 0.72; the state after the last token is terminal.
    //   t=3: δ = 1 + 0.9·0 − 0.4 = 0.6;            A = 0.6
    //   t=2: δ = 0 + 0.9·0.4 − 0.2 = 0.16;        A = 0.16 + 0.72·0.6 = 0.592
    //   t=1: δ = 0 + 0.9·0.2 − 0.5 = −0.32;       A = −0.32 + 0.72·0.592 = 0.10624
    //   returns A + V = [0.60624, 0.792, 1.0]
    // Row 1: one completion token then padding, V = 0.3, reward −1: A = −1 − 0.3 = −1.3, return −1.
    const values = [9, 0.5, 0.2, 0.4, 9, 0.3, 9, 9];
    const mask = [0, 1, 1, 1, 0, 1, 0, 0];
    const { advantages, returns } = gaeAdvantages([1, -1], values, mask, 2, 4, 0.9, 0.8);
    expectClose(returns, [0, 0.60624, 0.792, 1.0, 0, -1, 0, 0]);
    // Whitening over the 4 valid advantages [0.10624, 0.592, 0.6, −1.3]:
    // mean = (0.10624 + 0.592 + 0.6 − 1.3)/4 = −0.00176/4 = −0.00044,
    // deviations [0.10668, 0.59244, 0.60044, −1.29956],
    // squares 0.0113806224 + 0.3509851536 + 0.3605281936 + 1.6888561936 = 2.4117501632, unbiased var = /3 ≈ 0.80391672, std ≈ 0.8966141.
    const std = Math.sqrt(2.4117501632 / 3 + 1e-8);
    expectClose(advantages, [0, 0.10668 / std, 0.59244 / std, 0.60044 / std, 0, -1.29956 / std, 0, 0]);
    expect(advantages[5]).toBeCloseTo(-1.449408, 5);
  });

  it('skips positions off the mask inside a completion, as veRL does', () => {
    // mask [1, 0, 1], V = [0.5, (ignored), 0.4], reward 1, γ = 0.9, λ = 0.8:
    //   t=2: A = 1 − 0.4 = 0.6;  t=0: δ = 0.9·0.4 − 0.5 = −0.14, A = −0.14 + 0.72·0.6 = 0.292.
    const { returns } = gaeAdvantages([1], [0.5, 7, 0.4], [1, 0, 1], 1, 3, 0.9, 0.8);
    expectClose(returns, [0.292 + 0.5, 0, 1.0]);
  });

  it('refuses a sequence with no completion token and shapes that do not agree', () => {
    expect(() => gaeAdvantages([1], [0, 0], [0, 0], 1, 2, 1, 1)).toThrow('sequence 0 has no completion token');
    expect(() => gaeAdvantages([1, 2], [0, 0], [1, 1], 1, 2, 1, 1)).toThrow(RangeError);
  });
});

describe('maskedWhiten', () => {
  it('uses the valid positions only and gives 0 where variance is undefined', () => {
    // Valid [1, 3]: mean 2, unbiased var 2, so ±1/√(2 + 1e-8).
    expectClose(maskedWhiten([1, 100, 3], [1, 0, 1]), [-1 / Math.sqrt(2 + 1e-8), 0, 1 / Math.sqrt(2 + 1e-8)]);
    expect(Array.from(maskedWhiten([5, 6], [1, 0]))).toEqual([0, 0]);
  });
});
