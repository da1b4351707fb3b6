// lab train's line per step: a step without learning signal gets a second line saying why.
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/trainCommand.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';

const step = (overrides: Partial<StepMetrics>): StepMetrics => ({
  step: 1,
  reward: 0,
  reward_std: 0,
  'rewards/safety': 0,
  'rewards/helpfulness': 0,
  'refusal_rate/harmful': 0,
  'over_refusal_rate/benign': null,
  format_rate: 0,
  kl: null,
  entropy: 2,
  clip_ratio: 0,
  'completions/mean_length': 64,
  'completions/clipped_ratio': 1,
  frac_reward_zero_std: 1,
  grad_norm: 0,
  no_learning_signal: 'equal_rewards',
  learning_rate: 1e-5,
  tokens_per_second: 100,
  step_time_s: 1,
  ...overrides,
});

const SETTINGS = { max_steps: 4, num_generations: 8, temperature: 1, max_completion_length: 64 };

describe('progressLine', () => {
  it('says a step learned nothing, naming the cause its metrics point to', () => {
    const [line, note, ...rest] = progressLine(step({}), SETTINGS, 2).split('\n');
    expect(line).toMatch(/^step 1\/4 \[#####\.+\] eta 6s {2}reward 0\.000/);
    expect(note).toMatch(/^ {2}no learning signal this step: every prompt's completions got equal rewards \(frac_reward_zero_std 1\); likely causes: completions cut at max_completion_length \(64 tokens\): 100% were/);
    expect(rest).toEqual([]);
  });

  it('is one line for a step that learned', () => {
    expect(progressLine(step({ frac_reward_zero_std: 0.5, grad_norm: 0.4, no_learning_signal: null }), SETTINGS, 2)).not.toContain('\n');
  });
});
