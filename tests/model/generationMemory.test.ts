// Generation alone (lab eval, lab generate: no run's plan bounds the buffer pool) over prompts of
// many lengths holds the model, its KV cache and one prefill and one decode graph's worth, as the
// memory planner counts a generator: prefill graphs of other lengths do not pile up.
import { expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import { openNodeDevice } from '../../src/gpu/nodeDevice.ts';
import { loadNodeShaders } from '../../src/gpu/nodeShaders.ts';
import { Generator } from '../../src/model/generate.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { loadModel } from '../../src/model/loader.ts';
import { planMemory } from '../../src/model/memoryPlanner.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';

it('generating for prompts of many lengths holds what the planner counts for a generator', async () => {
  const gpu = new Gpu(await openNodeDevice(), loadNodeShaders(), { maxBindingBytes: 1024 * 1024 });
  const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
  const before = gpu.pool.stats().liveBytes;
  const [B, Tmax] = [4, 64];
  const generator = new Generator(model, B, Tmax);
  for (let length = 8; length <= 56; length += 4) {
    const prompts = Array.from({ length: B }, (_, b) => Array.from({ length: length - b }, (_, i) => 1 + ((i * 7 + b) % 250)));
    await generator.generate(prompts, { maxNewTokens: 4, temperature: 0, seed: 0, stopTokenIds: [] });
  }
  const plan = planMemory(loaded.config, { batch: 1, seqLen: 1, finetune: { kind: 'full' }, generationBatch: B, generationLen: Tmax, referenceCopy: false }, {
    budgetBytes: gpu.memoryBudgetBytes,
    maxStorageBufferBindingSize: gpu.maxBindingBytes,
  });
  const generatorPlan = ['KV cache', 'prefill activations', 'decode activations'].reduce((sum, name) => sum + plan.parts.find((p) => p.name === name)!.bytes, 0);
  console.log(`generator: measured ${gpu.pool.stats().peakBytes - before} bytes beyond the weights, planned ${generatorPlan}`);
  expect(gpu.pool.stats().peakBytes - before).toBeLessThanOrEqual(generatorPlan);
  generator.release();
  gpu.destroy();
});
