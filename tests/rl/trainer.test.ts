import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { initialLoraWeights, LoraAdapter } from '../../src/model/lora.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { promptIds } from '../../src/rl/prompting.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';
import { VOWEL_REWARD } from '../helpers/vowelReward.ts';

// Every prompt is harmful, so VOWEL_REWARD's reward is simply V_r.
const prompts: PromptRow[] = [
  { id: '1', prompt: 'the thin', label: 'harmful' },
  { id: '2', prompt: 'answer on', label: 'harmful' },
];


async function fixture() {
  const gpu = await testGpu();
  const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
  return { gpu, loaded, model: LlamaModel.load(gpu, loaded.config, loaded.weights) };
}

describe('AlphaAlignTrainer', () => {
  it('raises an easy verifiable reward within a few steps (full fine-tuning)', async () => {
    const { loaded, model } = await fixture();
    const config = parseRlConfig({ ...VOWEL_REWARD, learning_rate: 2e-2, max_steps: 14 });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    const rewards: number[] = [];
    for (let step = 0; step < 14; step++) {
      const { metrics, rollouts } = await trainer.train(prompts);
      rewards.push(metrics.reward);
      expect(rollouts).toHaveLength(8);
      expect(metrics.step).toBe(step + 1);
      expect(metrics.grad_norm).toBeGreaterThanOrEqual(0);
      expect(metrics.kl).toBeNull();
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rewards.slice(-4))).toBeGreaterThan(mean(rewards.slice(0, 4)) + 0.2);
    trainer.release();
  });

  it('with LoRA and beta > 0 reports a KL to the adapters-off reference that starts at 0', async () => {
    const { gpu, loaded, model } = await fixture();
    const lora = { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] as const, dropout: 0 };
    model.lora = new LoraAdapter(gpu, loaded.config, { ...lora, targets: [...lora.targets] }, initialLoraWeights(loaded.config, { ...lora, targets: [...lora.targets] }, 1));
    const config = parseRlConfig({ ...VOWEL_REWARD, beta: 0.1, learning_rate: 5e-2, finetune: { kind: 'lora', ...lora } });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    const first = await trainer.train(prompts);
    // B starts at zero, so the policy equals the reference on the first step.
    expect(first.metrics.kl).toBeCloseTo(0, 6);
    let last = first;
    for (let step = 0; step < 3; step++) last = await trainer.train(prompts);
    expect(last.metrics.kl!).toBeGreaterThan(0);
    trainer.release();
  });
});

describe('AlphaAlignTrainer padding', () => {
  it('gives the same rollouts and gradients however long its sequences may be', async () => {
    // The exact fit pads every micro-batch to the longest possible sequence; 30 more tokens let
    // the trainer pad each micro-batch to its own 32-token bucket instead.
    const config = parseRlConfig({ ...VOWEL_REWARD, max_steps: 1 });
    const { loaded: first } = await fixture();
    const exact = Math.max(...prompts.map((p) => promptIds(first.tokenizer, config.template, p.prompt).length)) + config.max_completion_length;
    expect(exact % 32).not.toBe(0);
    const grads: Map<string, Float32Array>[] = [];
    const texts: string[][] = [];
    for (const maxSeqLen of [exact, exact + 30]) {
      const { loaded, model } = await fixture();
      const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, maxSeqLen);
      const { rollouts } = await trainer.train(prompts);
      texts.push(rollouts.map((r) => r.text));
      grads.push(await trainer.grads.download());
      trainer.release();
    }
    expect(texts[1]).toEqual(texts[0]);
    for (const [name, expected] of grads[0]!) expectClose(grads[1]!.get(name)!, expected, scaledTolerance(expected, 1e-4), name);
  });
});

describe('AlphaAlignTrainer with several PPO epochs', () => {
  // In the first epoch the ratio to the sampling policy is exactly 1, so nothing is clipped;
  // only a later epoch, whose ratio is to the first epoch's log-probs, can clip.
  const clipRatio = async (num_iterations: number) => {
    const { loaded, model } = await fixture();
    const config = parseRlConfig({ ...VOWEL_REWARD, learning_rate: 5e-2, epsilon: 0.01, epsilon_high: 0.01, num_iterations });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    // The first step's rewards are all 0 (no advantage, nothing moves); the second's are not.
    await trainer.train(prompts);
    const { metrics } = await trainer.train(prompts);
    expect(metrics.reward_std).toBeGreaterThan(0);
    expect(trainer.optimizer.t).toBe(2 * num_iterations);
    expect(trainer.step).toBe(2);
    trainer.release();
    return metrics.clip_ratio;
  };

  it('takes one optimiser step per epoch and clips only against the sampling policy’s log-probs', async () => {
    expect(await clipRatio(1)).toBe(0);
    expect(await clipRatio(3)).toBeGreaterThan(0);
  });
});

describe('AlphaAlignTrainer on non-finite numbers', () => {
  it('stops with a message naming the step and leaves the weights as they were', async () => {
    const { loaded, model } = await fixture();
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, parseRlConfig(VOWEL_REWARD), 24);
    await trainer.train(prompts);
    const good = await model.weights.download();
    const poisoned = new Map(good);
    const norm = Float32Array.from(good.get('model.norm.weight')!);
    norm[0] = Infinity;
    poisoned.set('model.norm.weight', norm);
    model.weights.upload(poisoned);
    // The same message on every adapter: the sampler finds the non-finite logits before any update.
    await expect(trainer.train(prompts)).rejects.toThrow(/^step 2: sampling completions, the logits for token 1 of reply 1 in its batch hold NaN or ±Inf \(.*\), so nothing was sampled; the weights were not updated$/);
    expect((await model.weights.download()).get('model.layers.1.mlp.up_proj.weight')).toEqual(good.get('model.layers.1.mlp.up_proj.weight'));
    expect(trainer.step).toBe(1);
    trainer.release();
  });
});

describe('AlphaAlignTrainer with GAE', () => {
  it('trains a value head beside the policy and raises the easy reward', async () => {
    const { loaded, model } = await fixture();
    const config = parseRlConfig({ ...VOWEL_REWARD, advantage_estimator: 'gae', learning_rate: 2e-2, vf_coef: 0.5, max_steps: 14 });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    const head = trainer.valueHead!;
    const before = await head.weights.download();
    const rewards: number[] = [];
    for (let step = 0; step < 14; step++) rewards.push((await trainer.train(prompts)).metrics.reward);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rewards.slice(-4))).toBeGreaterThan(mean(rewards.slice(0, 4)) + 0.2);
    expect((await head.weights.download()).get('value_head.weight')).not.toEqual(before.get('value_head.weight'));
    trainer.release();
  });
});

describe('ValueHead', () => {
  it('saves and restores its weights and optimiser state exactly', async () => {
    const { ValueHead } = await import('../../src/rl/valueHead.ts');
    const { DEFAULT_OPTIMIZER } = await import('../../src/train/optimizer.ts');
    const gpu = await testGpu();
    const weights = new Map([
      ['value_head.weight', Float32Array.from({ length: 8 }, (_, i) => i / 7)],
      ['value_head.bias', new Float32Array([0.5])],
    ]);
    const a = new ValueHead(gpu, 8, DEFAULT_OPTIMIZER, weights);
    a.optimizer.t = 5;
    const b = new ValueHead(gpu, 8, DEFAULT_OPTIMIZER);
    b.restore(await a.save(), 'value_head.safetensors');
    expect(await b.weights.download()).toEqual(weights);
    expect(b.optimizer.t).toBe(5);
    a.release();
    b.release();
  });
});

describe('AlphaAlignTrainer with an ONNX reward model', () => {
  it('scores benign answers with it for the helpfulness reward', async () => {
    const { OnnxRewardModel } = await import('../../src/rl/onnxRewardModel.ts');
    const { meanIdRewardModel } = await import('../helpers/onnxModels.ts');
    const { loaded, model } = await fixture();
    const rewardModel = await OnnxRewardModel.create(meanIdRewardModel(), loaded.tokenizer);
    const calls: string[] = [];
    const config = parseRlConfig({ ...VOWEL_REWARD, helpfulness_scorer: { kind: 'onnx' } });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24, null, {
      score: (prompt, answer) => {
        calls.push(prompt);
        return rewardModel.score(prompt, answer);
      },
    });
    const { rollouts } = await trainer.train([{ id: 'b', prompt: 'the thin', label: 'benign' }, prompts[0]!]);
    expect(calls).toEqual(Array(4).fill('the thin')); // the benign prompt's 4 answers only
    const benign = rollouts.filter((r) => r.row.label === 'benign');
    // z-normalised scores clipped at 0 for non-refusals: some answers get a helpfulness reward.
    expect(benign.some((r) => r.reward.helpfulness > 0) || benign.every((r) => r.verdict.refusalScore === 1)).toBe(true);
    expect(() => new AlphaAlignTrainer(model, loaded.tokenizer, config, 24)).toThrow(/needs a reward model/);
    trainer.release();
  });
});
