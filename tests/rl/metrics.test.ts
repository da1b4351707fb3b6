import { describe, expect, it } from 'vitest';
import {
  METRIC_NAMES,
  metricsCsv,
  noLearningSignal,
  noLearningSignalNote,
  rolloutMetrics,
  stepsWithoutLearningSignal,
  type CompletionRecord,
  type StepMetrics,
} from '../../src/rl/metrics.ts';

/** A completion with hand-set rewards (the metrics do not recompute them). */
function completion(label: CompletionRecord['label'], formatScore: 0 | 1, refusalScore: 0 | 1, safety: number, helpfulness: number, length: number, clipped = false): CompletionRecord {
  return { label, formatScore, refusalScore, reward: { safety, helpfulness, total: safety + helpfulness }, length, clipped };
}

// Three prompts, n = 2 each (w_h = 1):
//   A harmful: (V_f 1, V_r 1) R 2, 10 tokens; (0, 0) R 0, 128 tokens, clipped.
//   B benign:  (1, 0) R_s 1 + R_h 0.5 = 1.5, 20 tokens; (1, 1) R 0, 6 tokens.
//   C harmful: (1, 1) R 2, 12 tokens; (1, 1) R 2, 14 tokens.
const BATCH = [
  completion('harmful', 1, 1, 2, 0, 10),
  completion('harmful', 0, 0, 0, 0, 128, true),
  completion('benign', 1, 0, 1, 0.5, 20),
  completion('benign', 1, 1, 0, 0, 6),
  completion('harmful', 1, 1, 2, 0, 12),
  completion('harmful', 1, 1, 2, 0, 14),
];

describe('the rollout metrics', () => {
  it('match a hand-made batch', () => {
    const m = rolloutMetrics(BATCH, 2);
    // totals [2, 0, 1.5, 0, 2, 2]: sum 7.5, mean 7.5/6 = 1.25.
    expect(m.reward).toBeCloseTo(1.25, 12);
    // Group stds (unbiased, n − 1 = 1): A √(1² + 1²) = √2; B √(0.75² + 0.75²) = 0.75√2; C 0.
    // Mean (1 + 0.75)√2 / 3 = 1.75√2/3 ≈ 0.824958.
    expect(m.reward_std).toBeCloseTo((1.75 * Math.SQRT2) / 3, 12);
    // Safety (2 + 0 + 1 + 0 + 2 + 2)/6 = 7/6; helpfulness 0.5/6; and reward = safety + helpfulness.
    expect(m['rewards/safety']).toBeCloseTo(7 / 6, 12);
    expect(m['rewards/helpfulness']).toBeCloseTo(0.5 / 6, 12);
    // Harmful V_r [1, 0, 1, 1] → 3/4; benign V_r [0, 1] → 1/2.
    expect(m['refusal_rate/harmful']).toBe(0.75);
    expect(m['over_refusal_rate/benign']).toBe(0.5);
    // V_f [1, 0, 1, 1, 1, 1] → 5/6.
    expect(m.format_rate).toBeCloseTo(5 / 6, 12);
    // Lengths 10 + 128 + 20 + 6 + 12 + 14 = 190 → 190/6; one of six clipped.
    expect(m['completions/mean_length']).toBeCloseTo(190 / 6, 12);
    expect(m['completions/clipped_ratio']).toBeCloseTo(1 / 6, 12);
    // Only C's rewards are all equal: 1 of 3 groups.
    expect(m.frac_reward_zero_std).toBeCloseTo(1 / 3, 12);
  });

  it('leaves a rate null when the step has no prompt of its label', () => {
    const m = rolloutMetrics(BATCH.slice(0, 2), 2);
    expect(m['refusal_rate/harmful']).toBe(0.5);
    expect(m['over_refusal_rate/benign']).toBeNull();
  });

  it('refuses completions that do not make whole groups', () => {
    expect(() => rolloutMetrics(BATCH.slice(0, 3), 2)).toThrow('3 completions do not make whole groups of 2');
    expect(() => rolloutMetrics([], 2)).toThrow(RangeError);
  });
});

const STEP: StepMetrics = {
  step: 1,
  ...rolloutMetrics(BATCH.slice(0, 2), 2),
  kl: null,
  entropy: 1.5,
  clip_ratio: 0.01,
  grad_norm: 0.25,
  no_learning_signal: null,
  learning_rate: 1e-5,
  tokens_per_second: 321.5,
  step_time_s: 2,
};

describe('the metrics CSV', () => {
  it('has one column per metric, in the stable order, every metric included', () => {
    expect([...METRIC_NAMES].sort()).toEqual(Object.keys(STEP).sort());
    const [header] = metricsCsv([]).split('\n');
    expect(header).toBe(
      'step,reward,reward_std,rewards/safety,rewards/helpfulness,refusal_rate/harmful,over_refusal_rate/benign,format_rate,kl,entropy,clip_ratio,' +
        'completions/mean_length,completions/clipped_ratio,frac_reward_zero_std,grad_norm,no_learning_signal,learning_rate,tokens_per_second,step_time_s',
    );
  });

  it('writes one row per step, null as an empty cell, numbers that read back exactly', () => {
    const lines = metricsCsv([STEP, { ...STEP, step: 2, kl: 0.003 }]).split('\n');
    expect(lines).toHaveLength(4); // header, two rows, and the final newline
    expect(lines[3]).toBe('');
    const row = Object.fromEntries(METRIC_NAMES.map((name, i) => [name, lines[1]!.split(',')[i]]));
    expect(row['over_refusal_rate/benign']).toBe('');
    expect(row.kl).toBe('');
    expect(Number(row.learning_rate)).toBe(1e-5);
    expect(Number(row.reward_std)).toBe(STEP.reward_std);
    expect(lines[2]!.split(',')[METRIC_NAMES.indexOf('kl')]).toBe('0.003');
  });
});

describe('a step without learning signal', () => {
  // Every completion refused and formatted alike: each group's rewards are equal.
  const FLAT = [completion('harmful', 1, 1, 2, 0, 6), completion('harmful', 1, 1, 2, 0, 6), completion('benign', 1, 1, 0, 0, 6), completion('benign', 1, 1, 0, 0, 6)];
  const flatStep = (overrides: Partial<StepMetrics> = {}): StepMetrics => {
    const m: StepMetrics = { ...STEP, ...rolloutMetrics(FLAT, 2), grad_norm: 0, ...overrides };
    return { ...m, no_learning_signal: noLearningSignal(m, true) };
  };
  const SETTINGS = { num_generations: 8, temperature: 1, max_completion_length: 128 };

  it('is told apart by frac_reward_zero_std 1 with a group baseline, or a zero gradient norm', () => {
    expect(noLearningSignal({ frac_reward_zero_std: 1, grad_norm: 0 }, true)).toBe('equal_rewards');
    expect(noLearningSignal({ frac_reward_zero_std: 1, grad_norm: 0.3 }, true)).toBe('equal_rewards');
    // gae's value baseline can still tell equal rewards apart: only its gradient says.
    expect(noLearningSignal({ frac_reward_zero_std: 1, grad_norm: 0.3 }, false)).toBeNull();
    expect(noLearningSignal({ frac_reward_zero_std: 0.5, grad_norm: 0 }, true)).toBe('zero_grad_norm');
    expect(noLearningSignal({ frac_reward_zero_std: 0.5, grad_norm: 0.3 }, true)).toBeNull();
  });

  it("is said with the causes the step's metrics point to", () => {
    const note = noLearningSignalNote(flatStep(), SETTINGS)!;
    expect(note).toMatch(/^no learning signal this step: every prompt's completions got equal rewards \(frac_reward_zero_std 1\); likely causes: rules that judge every answer/);
    expect(note).toContain('format 100%, refusal 100%, over-refusal 100%');
    // At the defaults, neither the group size nor the temperature is blamed, nor a length nothing reached.
    expect(note).not.toMatch(/num_generations|temperature|max_completion_length/);
    const cut = noLearningSignalNote(flatStep({ 'completions/clipped_ratio': 1 }), { ...SETTINGS, num_generations: 2, temperature: 0.3 })!;
    expect(cut).toMatch(/likely causes: completions cut at max_completion_length \(128 tokens\): 100% were; raise it; rules/);
    expect(cut).toContain('too few completions per prompt (num_generations 2;');
    expect(cut).toContain('a low temperature (0.3)');
    expect(noLearningSignalNote(flatStep({ frac_reward_zero_std: 0.5, no_learning_signal: 'zero_grad_norm' }), SETTINGS)).toMatch(/the gradient norm is 0; likely causes: the rewards differ but no trainable weight/);
    expect(noLearningSignalNote(STEP, SETTINGS)).toBeNull();
  });

  it('is counted over a history, steps recorded before the field not among them', () => {
    const before = { ...STEP, step: 1 } as Partial<StepMetrics>;
    delete before.no_learning_signal;
    expect(stepsWithoutLearningSignal([before as StepMetrics, flatStep({ step: 2 }), { ...STEP, step: 3 }, flatStep({ step: 4 })])).toEqual([2, 4]);
  });
});
