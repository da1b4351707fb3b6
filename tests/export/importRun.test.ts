// A TRL or veRL run's metrics read back as a lab run: TRL's trainer_state.json log_history and veRL's
// JSON lines (written here in the layouts those trainers write), their names mapped to the lab's,
// metrics with no counterpart null and the source's others listed; bad files refused with the way out.
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/rl/metrics.ts';
import { importRunLog, importTrlTrainerState, importVerlMetrics, RunImportError, TRL_METRICS, VERL_METRICS } from '../../src/export/importRun.ts';

const trlStep = (step: number) => ({
  step,
  epoch: step / 100,
  loss: 0.01 * step,
  grad_norm: 0.5 + step,
  learning_rate: 1e-5,
  num_tokens: 1000 * step,
  'completions/mean_length': 40 + step,
  'completions/min_length': 3,
  'completions/clipped_ratio': 0.25,
  reward: 0.1 * step,
  reward_std: 0.3,
  'rewards/safety_reward/mean': 0.1 * step,
  'rewards/safety_reward/std': 0.2,
  'rewards/format_rate/mean': 0.9,
  'rewards/refusal_rate_harmful/mean': 0.6,
  'rewards/over_refusal_rate_benign/mean': 0.1,
  frac_reward_zero_std: 0.125,
  kl: 0.002,
  entropy: 1.5,
  'clip_ratio/low_mean': 0,
  'clip_ratio/region_mean': 0.01,
});

const TRAINER_STATE = JSON.stringify({
  best_metric: null,
  epoch: 0.03,
  global_step: 3,
  log_history: [trlStep(1), trlStep(2), { step: 2, epoch: 0.02, eval_reward: 0.4, eval_loss: 0.1 }, trlStep(3), { step: 3, epoch: 0.03, train_runtime: 100.5, train_loss: 0.02 }],
  max_steps: 3,
});

describe('importing a TRL run', () => {
  it("maps GRPOTrainer's log onto the lab's metrics, one step each", () => {
    const run = importTrlTrainerState(TRAINER_STATE, 'trainer_state.json');
    expect(run.source).toBe('trl');
    expect(run.steps.map((s) => s.step)).toEqual([1, 2, 3]);
    const third = run.steps[2]!;
    expect(third).toMatchObject({
      reward: 0.30000000000000004,
      'rewards/safety': 0.30000000000000004,
      'refusal_rate/harmful': 0.6,
      'over_refusal_rate/benign': 0.1,
      format_rate: 0.9,
      kl: 0.002,
      entropy: 1.5,
      clip_ratio: 0.01,
      'completions/mean_length': 43,
      'completions/clipped_ratio': 0.25,
      frac_reward_zero_std: 0.125,
      grad_norm: 3.5,
      learning_rate: 1e-5,
    });
    // What TRL does not log stays null, and every lab metric is present.
    expect(third['rewards/helpfulness']).toBeNull();
    expect(third.tokens_per_second).toBeNull();
    expect(Object.keys(third).sort()).toEqual([...METRIC_NAMES].sort());
    expect(run.unmapped).toEqual(['clip_ratio/low_mean', 'completions/min_length', 'eval_loss', 'eval_reward', 'loss', 'num_tokens', 'rewards/safety_reward/std', 'train_loss', 'train_runtime']);
  });

  it('refuses a file that is not a trainer_state.json, saying which file to pick', () => {
    expect(() => importTrlTrainerState('{"global_step": 3}', 'x.json')).toThrow(RunImportError);
    expect(() => importTrlTrainerState('{"global_step": 3}', 'x.json')).toThrow(/x\.json has no "log_history" list: pick the trainer_state\.json/);
    expect(() => importTrlTrainerState('{', 'x.json')).toThrow(/not valid JSON/);
    expect(() => importTrlTrainerState('{"log_history": [{"train_runtime": 1, "step": 1}]}', 'x.json')).toThrow(/holds no training step's metrics/);
  });
});

describe('importing a veRL run', () => {
  const line = (step: number) => ({
    step,
    data: {
      'critic/score/mean': 0.5 + step,
      'critic/rewards/mean': 0.5 + step,
      'actor/entropy': 1.2,
      'actor/kl_loss': 0.003,
      'actor/pg_clipfrac': 0.02,
      'actor/grad_norm': 0.7,
      'actor/lr': 1e-6,
      'response_length/mean': 100,
      'response_length/clip_ratio': 0.05,
      'timing_s/step': 12.5,
      'perf/throughput': 2000,
      'val-core/alphaalign/reward/mean@1': 0.9,
    },
  });

  it("maps veRL's metric names, from {step, data} lines or flat ones", () => {
    const text = [JSON.stringify(line(1)), '', JSON.stringify({ step: 2, ...line(2).data })].join('\n');
    const run = importVerlMetrics(text, 'metrics.jsonl');
    expect(run.source).toBe('verl');
    expect(run.steps.map((s) => [s.step, s.reward, s.entropy, s.kl, s.clip_ratio, s.grad_norm, s.learning_rate, s['completions/mean_length'], s['completions/clipped_ratio'], s.step_time_s, s.tokens_per_second])).toEqual([
      [1, 1.5, 1.2, 0.003, 0.02, 0.7, 1e-6, 100, 0.05, 12.5, 2000],
      [2, 2.5, 1.2, 0.003, 0.02, 0.7, 1e-6, 100, 0.05, 12.5, 2000],
    ]);
    expect(run.steps[0]!['refusal_rate/harmful']).toBeNull();
    expect(run.unmapped).toEqual(['critic/rewards/mean', 'val-core/alphaalign/reward/mean@1']);
  });

  it('refuses a line that is not a step of metrics, by its line number', () => {
    expect(() => importVerlMetrics('{"step": 1, "data": {}}\nnot json', 'm.jsonl')).toThrow(/m\.jsonl:2 is not a JSON line/);
    expect(() => importVerlMetrics('{"data": {}}', 'm.jsonl')).toThrow(/m\.jsonl:1 has no "step"/);
  });
});

describe('telling the two apart', () => {
  it('reads trainer_state.json as TRL and JSON lines as veRL', () => {
    expect(importRunLog(TRAINER_STATE, 'a').source).toBe('trl');
    expect(importRunLog('{"step": 1, "data": {"actor/entropy": 1}}\n', 'b').source).toBe('verl');
  });

  it('maps every source name onto a lab metric', () => {
    for (const name of [...Object.values(TRL_METRICS), ...Object.values(VERL_METRICS)]) expect(METRIC_NAMES).toContain(name);
  });
});
