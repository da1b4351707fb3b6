// Exact resume: a run saved at step k, rebuilt from its checkpoint as `lab train --resume` and
// the page's worker rebuild it, and continued, must give the uninterrupted run's numbers.
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig, type RlConfig } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { buildPolicy, resumeTrainer, runCheckpoint } from '../../src/rl/runSetup.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { checkpointZip, loadCheckpoint, zipSource, type LoadedCheckpoint } from '../../src/train/checkpoint.ts';
import { expectClose } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';
import { VOWEL_REWARD } from '../helpers/vowelReward.ts';

const prompts: PromptRow[] = [
  { id: '1', prompt: 'the thin', label: 'harmful' },
  { id: '2', prompt: 'answer on', label: 'benign' },
];

// A reward a tiny random model can move (VOWEL_REWARD), a high learning rate so the policy leaves
// the reference within a step, and β > 0 so the KL term counts.
const base = {
  ...VOWEL_REWARD,
  beta: 0.1,
  learning_rate: 5e-2,
  max_steps: 4,
};
const STEPS = 4;
const SAVED_AT = 2;
const MAX_SEQ_LEN = 24;

/** Wall-clock figures differ between any two runs; every other metric must not. */
const TIMING = new Set(['tokens_per_second', 'step_time_s']);

async function startRun(loaded: LoadedCheckpoint, config: RlConfig, resume: boolean) {
  const gpu = await testGpu();
  const policy = buildPolicy(gpu, loaded, config, resume);
  const trainer = new AlphaAlignTrainer(policy.model, loaded.tokenizer, config, MAX_SEQ_LEN, policy.reference);
  if (resume) resumeTrainer(trainer, loaded);
  return { policy, trainer };
}

/** Metrics of steps 1..STEPS and the trained weights; interrupted after SAVED_AT steps and resumed from a checkpoint zip when asked. */
async function runMetrics(config: RlConfig, interrupt: boolean): Promise<{ history: StepMetrics[]; trained: Map<string, Float32Array> }> {
  const loaded = await loadCheckpoint(folderSource('tests/fixtures/models/llama-gqa'));
  let run = await startRun(loaded, config, false);
  const history: StepMetrics[] = [];
  while (run.trainer.step < STEPS) {
    history.push((await run.trainer.train(prompts)).metrics);
    if (interrupt && run.trainer.step === SAVED_AT) {
      const contents = await runCheckpoint(run.policy, run.trainer, loaded, { config, dataset: 'test', datasetSha256: '0', metrics: history, eval: null });
      run.trainer.release();
      const back = await loadCheckpoint(zipSource(checkpointZip(contents), 'checkpoint.zip'));
      run = await startRun(back, config, true);
      expect(run.trainer.step).toBe(SAVED_AT);
    }
  }
  const trained = await (run.policy.model.lora ?? run.policy.model).weights.download();
  run.trainer.release();
  return { history, trained };
}

type Run = Awaited<ReturnType<typeof runMetrics>>;

function expectSameRun({ history: resumed, trained }: Run, { history: uninterrupted, trained: expectedWeights }: Run): void {
  for (const [name, expected] of expectedWeights) expectClose(trained.get(name)!, expected, { atol: 1e-6, rtol: 0 }, name);
  expect(resumed.map((m) => m.step)).toEqual(uninterrupted.map((m) => m.step));
  for (const [i, expected] of uninterrupted.entries()) {
    for (const [name, value] of Object.entries(expected)) {
      if (TIMING.has(name)) continue;
      const got = resumed[i]![name as keyof StepMetrics];
      if (typeof value === 'number') expect(Math.abs((got as number) - value), `step ${expected.step} ${name}: ${got} against ${value}`).toBeLessThanOrEqual(1e-6);
      else expect(got, `step ${expected.step} ${name}`).toEqual(value);
    }
  }
}

describe('resume from a checkpoint', () => {
  it('continues a full fine-tuning run with β > 0 exactly: the KL reference stays the base', async () => {
    const config = parseRlConfig(base);
    const uninterrupted = await runMetrics(config, false);
    // The policy has moved away from the reference by the steps after the save.
    expect(uninterrupted.history[SAVED_AT]!.kl!).toBeGreaterThan(1e-4);
    expectSameRun(await runMetrics(config, true), uninterrupted);
  });

  it('continues a LoRA run with β > 0 exactly: the reference is the base with adapters off', async () => {
    const config = parseRlConfig({ ...base, finetune: { kind: 'lora', rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], dropout: 0 } });
    const uninterrupted = await runMetrics(config, false);
    expect(uninterrupted.history[SAVED_AT]!.kl!).toBeGreaterThan(1e-4);
    expectSameRun(await runMetrics(config, true), uninterrupted);
  });

  it('continues a GAE run exactly: the value head and its optimiser state come back too', async () => {
    const config = parseRlConfig({ ...base, advantage_estimator: 'gae', vf_coef: 0.5 });
    const uninterrupted = await runMetrics(config, false);
    expectSameRun(await runMetrics(config, true), uninterrupted);
  });

  it('refuses to resume from a checkpoint without the reference or value head the run reads, saying what to do', async () => {
    const gpu = await testGpu();
    const config = parseRlConfig(base);
    const loaded = await loadCheckpoint(folderSource('tests/fixtures/models/llama-gqa'));
    const policy = buildPolicy(gpu, loaded, config, false);
    const trainer = new AlphaAlignTrainer(policy.model, loaded.tokenizer, config, MAX_SEQ_LEN, policy.reference);
    await trainer.train(prompts);
    const contents = await runCheckpoint(policy, trainer, loaded, { config, dataset: 'test', datasetSha256: '0', metrics: [], eval: null });
    trainer.release();
    // A checkpoint of a β = 0 run, or of a version of the lab that did not save the reference.
    const { reference: _dropped, ...withoutReference } = contents;
    const back = await loadCheckpoint(zipSource(checkpointZip(withoutReference), 'old.zip'));
    expect(back.reference).toBeNull();
    expect(() => buildPolicy(gpu, back, config, true)).toThrow(
      /^the checkpoint at step 1 holds no reference policy \(reference\.safetensors\) for the KL term: .* Resume with beta 0, or start a new run from it/,
    );
    expect(() => buildPolicy(gpu, back, parseRlConfig({ ...base, beta: 0, advantage_estimator: 'gae' }), true)).toThrow(
      /^the checkpoint at step 1 holds no value head \(value_head\.safetensors\) for advantage_estimator "gae": .* Resume with the run's estimator, or start a new run from it/,
    );
    // Without β, or as a new run's start, it needs none.
    for (const policy of [buildPolicy(gpu, back, parseRlConfig({ ...base, beta: 0 }), true), buildPolicy(gpu, back, config, false)]) {
      policy.model.weights.release();
      policy.reference?.weights.release();
    }
  });
});
