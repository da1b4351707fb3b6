// The trainer scores rewards with the config's reward_judge: the rules alone, or rules and the
// shipped classifier, or rules and the user's ONNX classifier.
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { refusalModelFromFiles } from '../../src/rl/onnxRefusalClassifier.ts';
import { parseRefusalClassifier } from '../../src/rl/refusalClassifier.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { readFileSync } from 'node:fs';
import { tokenRefusalClassifier } from '../helpers/onnxModels.ts';
import { testGpu } from '../helpers/testGpu.ts';

const prompts: PromptRow[] = [{ id: '1', prompt: 'the thin', label: 'harmful' }];
// A rule that never matches, and a classifier that calls every text a refusal (p = σ(5)).
const settings = { num_generations: 2, prompts_per_step: 1, max_completion_length: 4, per_device_train_batch_size: 2, template: '{{prompt}}', stop_strings: [], r_f: 0, refusal_rules: [{ pattern: 'zzzz', kind: 'contains' }] };
const everythingRefuses = parseRefusalClassifier(
  { format: 'alphaalign-refusal-classifier', version: 1, features: { word_ngrams: [1, 1], max_tokens: 0, scaling: 'binary' }, bias: 5, weights: {}, threshold: 0.5 },
  'test classifier',
);

describe('the reward judge in training', () => {
  it('rewards by the rules alone by default, and by rules and classifier under reward_judge "combined"', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);

    const byRules = new AlphaAlignTrainer(model, loaded.tokenizer, parseRlConfig(settings), 28);
    const rulesStep = await byRules.train(prompts);
    byRules.release();
    expect(rulesStep.rollouts.map((r) => [r.verdict.refusalScore, r.verdict.refusal.decidedBy, r.reward.total])).toEqual([
      [0, 'rules', 0],
      [0, 'rules', 0],
    ]);

    const config = parseRlConfig({ ...settings, reward_judge: 'combined' });
    expect(() => new AlphaAlignTrainer(model, loaded.tokenizer, config, 28)).toThrow(/the "combined" refusal judge needs the refusal classifier/);
    const combined = new AlphaAlignTrainer(model, loaded.tokenizer, config, 28, null, null, everythingRefuses);
    const { rollouts } = await combined.train(prompts);
    combined.release();
    for (const r of rollouts) {
      expect(r.verdict.refusal).toMatchObject({ refusal: true, decidedBy: 'classifier' });
      expect(r.verdict.refusal.reason).toMatch(/^classifier: no rule matches, p = 0\.99 ≥ 0\.5/);
      expect(r.reward.total).toBe(1);
    }
  });

  it('rewards by rules and the user\'s ONNX classifier under reward_judge "onnx", scoring every rollout', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    // A classifier that calls a text a refusal when it holds the prompt's first token ("the" …):
    // some completions do, some do not, and each verdict must follow its own text.
    const token = loaded.tokenizer.encode('the')[0]!;
    const classifier = await refusalModelFromFiles(
      new Map([
        ['c.onnx', tokenRefusalClassifier(token)],
        ['tokenizer.json', new Uint8Array(readFileSync('tests/fixtures/models/llama-gqa/tokenizer.json'))],
      ]),
      'mine',
    );
    const config = parseRlConfig({ ...settings, reward_judge: 'onnx', num_generations: 4, per_device_train_batch_size: 4 });
    expect(() => new AlphaAlignTrainer(model, loaded.tokenizer, config, 28)).toThrow(/the "onnx" refusal judge needs your refusal classifier/);
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 28, null, null, null, classifier);
    const { rollouts } = await trainer.train(prompts);
    trainer.release();
    for (const r of rollouts) {
      const holds = loaded.tokenizer.encode(r.verdict.judgedText).includes(token);
      expect(r.verdict.refusal).toMatchObject({ refusal: holds, decidedBy: 'classifier' });
      expect(r.reward.total).toBe(holds ? 1 : 0);
    }
  });
});
