// A trainer step whose rules judge every answer alike learns nothing, its metrics say so and the
// run card counts it; a step whose rewards differ within a group does not.
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { runCheckpoint } from '../../src/rl/runSetup.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { testGpu } from '../helpers/testGpu.ts';
import { VOWEL_REWARD } from '../helpers/vowelReward.ts';

const prompts: PromptRow[] = [
  { id: '1', prompt: 'the thin', label: 'harmful' },
  { id: '2', prompt: 'answer on', label: 'harmful' },
];

/** One step's metrics, and the run card a checkpoint after it holds. */
async function stepWith(rule: { pattern: string; kind: 'regex' | 'contains' }, seed: number) {
  const gpu = await testGpu();
  const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
  const config = parseRlConfig({ ...VOWEL_REWARD, refusal_rules: [rule], seed });
  const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
  const { metrics } = await trainer.train(prompts);
  const checkpoint = { ...loaded, run: null, optimizer: null, reference: null, valueHead: null };
  const { run } = await runCheckpoint({ model, reference: null }, trainer, checkpoint, { config, dataset: 'rows', datasetSha256: '', metrics: [metrics], eval: null });
  trainer.release();
  return { metrics, run };
}

describe('a trainer step without learning signal', () => {
  it('is flagged when a rule judges every answer alike', async () => {
    // No reply of the random fixture model holds this sentence: no completion is a refusal, so
    // every group's rewards are equal (the config refuses a rule that matches every reply).
    const { metrics, run } = await stepWith({ pattern: 'I cannot help with that', kind: 'contains' }, 2);
    expect(metrics['refusal_rate/harmful']).toBe(0);
    expect(metrics.frac_reward_zero_std).toBe(1);
    expect(metrics.grad_norm).toBe(0);
    expect(metrics.no_learning_signal).toBe('equal_rewards');
    expect(run.steps_without_learning_signal).toBe(1);
  });

  it('is not flagged when the rewards differ within a group', async () => {
    // With seed 2 one of the eight replies holds a vowel: its group's rewards differ.
    const { metrics, run } = await stepWith({ pattern: '[aeiou]', kind: 'regex' }, 2);
    expect(metrics.frac_reward_zero_std).toBeLessThan(1);
    expect(metrics.grad_norm).toBeGreaterThan(0);
    expect(metrics.no_learning_signal).toBeNull();
    expect(run.steps_without_learning_signal).toBe(0);
  });
});
