// Progress inside a step: the trainer reports its phases in order with their units, and the
// StepPhaseTimer turns their times into the share of the step done and the run's ETA.
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { evaluatingPhase, phaseProgressText, phaseText, StepPhaseTimer, type RunPhase } from '../../src/rl/runProgress.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { testGpu } from '../helpers/testGpu.ts';
import { VOWEL_REWARD } from '../helpers/vowelReward.ts';

const prompts: PromptRow[] = [
  { id: '1', prompt: 'the thin', label: 'harmful' },
  { id: '2', prompt: 'answer on', label: 'harmful' },
];

describe('the trainer’s phases', () => {
  it('come in order, each as it begins and after each unit, with k of n counts', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    // 2 prompts × 4 completions: 2 generation batches of 4, 2 micro-batches of 4, 2 PPO epochs.
    const config = parseRlConfig({ ...VOWEL_REWARD, generation_batch_size: 4, num_iterations: 2 });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    const phases: RunPhase[] = [];
    await trainer.train(prompts, (phase) => phases.push(phase));
    const seen = phases.map((p) => `${p.kind} ${p.done}/${p.total}`);
    expect(seen).toEqual([
      'generating 0/2',
      'generating 1/2',
      'generating 2/2',
      'judging 0/1',
      'judging 1/1',
      'updating 0/4',
      'updating 1/4',
      'updating 2/4',
      'updating 3/4',
      'updating 4/4',
    ]);
    expect(phases.every((p) => p.kind !== 'evaluating' && p.step === 1)).toBe(true);
    phases.length = 0;
    await trainer.train(prompts, (phase) => phases.push(phase));
    expect(new Set(phases.map((p) => (p.kind === 'evaluating' ? null : p.step)))).toEqual(new Set([2]));
    trainer.release();
  });
});

describe('a phase in words', () => {
  it('names the unit in flight', () => {
    expect(phaseText({ kind: 'generating', step: 3, done: 0, total: 2 })).toBe('step 3: generating, batch 1 of 2');
    expect(phaseText({ kind: 'generating', step: 3, done: 2, total: 2 })).toBe('step 3: generating, batch 2 of 2');
    expect(phaseText({ kind: 'judging', step: 3, done: 0, total: 1 })).toBe('step 3: judging');
    expect(phaseText({ kind: 'updating', step: 3, done: 1, total: 4 })).toBe('step 3: updating, micro-batch 2 of 4');
    // evaluate() counts prompts; the phase counts batches of them.
    expect(evaluatingPhase(0, 'held-out', 5, 9, 4)).toEqual({ kind: 'evaluating', afterStep: 0, prompts: 'held-out', done: 2, total: 3 });
    expect(phaseText(evaluatingPhase(0, 'held-out', 5, 9, 4))).toBe('evaluating held-out prompts before training: batch 3 of 3');
    expect(phaseText(evaluatingPhase(4, 'attacks', 0, 9, 4))).toBe('evaluating attacks after step 4: batch 1 of 3');
    const estimate = { stepFraction: 0.75, etaSeconds: 10, etaAtLeast: false };
    expect(phaseProgressText({ kind: 'updating', step: 3, done: 1, total: 4 }, estimate)).toBe('step 3: updating, micro-batch 2 of 4 (75 % of the step)');
    expect(phaseProgressText(evaluatingPhase(2, 'held-out', 0, 9, 4), estimate)).toBe('evaluating held-out prompts after step 2: batch 1 of 3');
  });
});

describe('the ETA', () => {
  const step = (n: number, kind: 'generating' | 'judging' | 'updating', done: number, total: number): RunPhase => ({ kind, step: n, done, total });

  it('during the first step, projects the phases seen so far, a lower bound until every phase has finished a unit', () => {
    const timer = new StepPhaseTimer();
    expect(timer.estimate(0, 3, 0)).toEqual({ stepFraction: 0, etaSeconds: null, etaAtLeast: false });
    timer.observe(step(1, 'generating', 0, 2), 0);
    expect(timer.estimate(0, 3, 0)).toEqual({ stepFraction: 0, etaSeconds: 0, etaAtLeast: true });
    // A batch of two took 1 s: generating takes 2 s, the phases not seen yet nothing; the step's
    // phases count a third each for its share.
    timer.observe(step(1, 'generating', 1, 2), 1000);
    let e = timer.estimate(0, 3, 1000);
    expect(e.etaAtLeast).toBe(true);
    expect(e.etaSeconds).toBeCloseTo(2 - 1 + 2 * 2, 9);
    expect(e.stepFraction).toBeCloseTo(1 / 6, 9);
    // Evaluations are between steps: not timed.
    timer.observe(evaluatingPhase(0, 'held-out', 0, 8, 4), 1500);
    expect(timer.estimate(0, 3, 1000)).toEqual(e);
    timer.observe(step(1, 'generating', 2, 2), 2000);
    timer.observe(step(1, 'judging', 0, 1), 2000);
    timer.observe(step(1, 'judging', 1, 1), 2500);
    timer.observe(step(1, 'updating', 0, 4), 2500);
    expect(timer.estimate(0, 3, 2500).etaAtLeast).toBe(true);
    // Generating took 2 s, judging 0.5 s, updating 1 s a micro-batch of 4: a step of 6.5 s.
    timer.observe(step(1, 'updating', 1, 4), 3500);
    e = timer.estimate(0, 3, 3500);
    expect(e.etaAtLeast).toBe(false);
    expect(e.etaSeconds).toBeCloseTo(6.5 - 3.5 + 2 * 6.5, 9);
    expect(e.stepFraction).toBeCloseTo(2 / 3 + 1 / 12, 9);
    // A unit slower than the ones before: at least the time it has taken.
    expect(timer.estimate(0, 3, 9000).etaSeconds).toBeCloseTo(2.5 + 6.5 - 9 + 2 * (2.5 + 6.5), 9);
  });

  it('after a step, takes the finished steps’ time, and weighs the step in flight by the last one’s phases', () => {
    const timer = new StepPhaseTimer();
    timer.observe(step(1, 'generating', 0, 2), 0);
    timer.observe(step(1, 'judging', 0, 1), 2000);
    timer.observe(step(1, 'updating', 0, 4), 2500);
    timer.stepEnded(6500);
    expect(timer.estimate(1, 3, 6500)).toEqual({ stepFraction: 0, etaSeconds: 13, etaAtLeast: false });
    timer.observe(step(2, 'generating', 0, 2), 7000);
    timer.observe(step(2, 'generating', 1, 2), 8000);
    let e = timer.estimate(1, 3, 8000);
    expect(e.stepFraction).toBeCloseTo(2 / 6.5 / 2, 9);
    expect(e.etaSeconds).toBeCloseTo(6.5 * (2 - 2 / 6.5 / 2), 9);
    timer.observe(step(2, 'updating', 2, 4), 10_000);
    e = timer.estimate(1, 3, 10_000);
    expect(e.stepFraction).toBeCloseTo(2.5 / 6.5 + 4 / 6.5 / 2, 9);
    // The mean of the steps finished: 6.5 s and 3.5 s.
    timer.stepEnded(10_500);
    expect(timer.estimate(2, 3, 10_500).etaSeconds).toBeCloseTo(5, 9);
  });
});
