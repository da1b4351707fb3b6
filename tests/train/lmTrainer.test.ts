import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { LmTrainer, NonFiniteError, type TokenBatch } from '../../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimizer.ts';
import { randInts } from '../helpers/random.ts';
import { testGpu } from '../helpers/testGpu.ts';

const B = 2;
const T = 12;
const settings = { ...DEFAULT_OPTIMIZER, lr: 1e-2, weightDecay: 0.01 };

async function freshModel(fixture = 'llama-gqa') {
  const gpu = await testGpu();
  const loaded = await loadModel(folderSource(`tests/fixtures/models/${fixture}`));
  return LlamaModel.load(gpu, loaded.config, loaded.weights);
}

/** Fixed sequences with a learnable rule (each token is the previous + 7 mod 300), loss on the last 8. */
function batches(count: number): TokenBatch[] {
  return Array.from({ length: count }, (_, i) => {
    const starts = randInts(B, 300, 100 + i);
    const tokens: number[] = [];
    const targets: number[] = [];
    const mask: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        tokens.push((starts[b]! + 7 * t) % 300);
        targets.push((starts[b]! + 7 * (t + 1)) % 300);
        mask.push(t >= T - 8 ? 1 : 0);
      }
    }
    return { tokens, targets, mask };
  });
}

describe('LmTrainer', () => {
  it('halves the loss on a small fixed dataset within 20 steps, changing every parameter', async () => {
    const model = await freshModel();
    const before = await model.weights.download();
    // No weight decay here: every parameter must change because its gradient moved it.
    const trainer = new LmTrainer(model, B, T, { ...settings, weightDecay: 0 });
    const data = batches(4);
    const first = (await trainer.step([data[0]!])).loss;
    let last = first;
    for (let step = 1; step < 20; step++) last = (await trainer.step([data[step % 4]!])).loss;
    expect(last).toBeLessThan(first / 2);
    const after = await model.weights.download();
    for (const [name, values] of after) expect(values, `${name} did not change`).not.toEqual(before.get(name));
    trainer.release();
  });

  it('trains Qwen3\'s q_norm and k_norm weights with the rest under full fine-tuning', async () => {
    const model = await freshModel('qwen3-head-dim');
    const before = await model.weights.download();
    expect([...before.keys()]).toContain('model.layers.1.self_attn.k_norm.weight');
    const trainer = new LmTrainer(model, B, T, { ...settings, weightDecay: 0 });
    for (const batch of batches(2)) await trainer.step([batch]);
    const after = await model.weights.download();
    for (const [name, values] of after) expect(values, `${name} did not change`).not.toEqual(before.get(name));
    trainer.release();
  });

  it('resumed from its state, continues exactly as an uninterrupted run', async () => {
    const data = batches(6);
    const straight = new LmTrainer(await freshModel(), B, T, settings);
    const losses: number[] = [];
    for (const batch of data) losses.push((await straight.step([batch])).loss);

    const first = new LmTrainer(await freshModel(), B, T, settings);
    for (const batch of data.slice(0, 3)) await first.step([batch]);
    const weights = await first.model.weights.download();
    const optimizer = await first.optimizer.exportState();

    const resumed = new LmTrainer(await freshModel(), B, T, settings);
    resumed.model.weights.upload(weights);
    resumed.optimizer.importState(optimizer);
    const resumedLosses: number[] = [];
    for (const batch of data.slice(3)) resumedLosses.push((await resumed.step([batch])).loss);
    expect(resumedLosses).toEqual(losses.slice(3));
    for (const t of [straight, first, resumed]) t.release();
  });

  it('refuses a batch over the memory budget before allocating anything, naming the way out', async () => {
    const model = await freshModel();
    const before = model.gpu.pool.stats().liveBytes;
    model.gpu.memoryBudgetBytes = 2 * 2 ** 20;
    try {
      expect(() => new LmTrainer(model, 64, 64, settings)).toThrow(/^Not enough GPU memory: this run needs .* but the memory budget is 2\.0 MiB\. Ways out: LoRA .*a smaller batch \(64 → 32\)/);
      expect(model.gpu.pool.stats().liveBytes).toBe(before);
    } finally {
      model.gpu.memoryBudgetBytes = 4 * 2 ** 30;
    }
  });

  it('stops on a non-finite loss, naming the step, and leaves the weights untouched', async () => {
    const model = await freshModel();
    const trainer = new LmTrainer(model, B, T, settings);
    await trainer.step(batches(1));
    const good = await model.weights.download();
    const poisoned = new Map(good);
    const norm = Float32Array.from(good.get('model.norm.weight')!);
    norm[3] = NaN;
    poisoned.set('model.norm.weight', norm);
    model.weights.upload(poisoned);
    await expect(trainer.step(batches(1))).rejects.toThrow(NonFiniteError);
    await expect(trainer.step(batches(1))).rejects.toThrow(/^step 2: the loss is NaN/);
    const after = await model.weights.download();
    expect(after.get('model.layers.0.mlp.up_proj.weight')).toEqual(good.get('model.layers.0.mlp.up_proj.weight'));
    trainer.release();
  });
});
