// The memory planner's plan bounds what a run really holds: the buffer pool's peak (bytes in use
// or pooled for reuse, from the model's load to the end of a step) is at most the plan's
// total, for a LoRA and a full-fine-tuning SFT step and an AlphaAlign step, on a device of its
// own with a 48 KiB binding cap (the fixture's embedding and lm_head in row blocks). The same
// check on a 2-layer Qwen2.5-0.5B-shaped model is `lab sft` / `lab train`'s last line.
import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import { openNodeDevice } from '../../src/gpu/nodeDevice.ts';
import { loadNodeShaders } from '../../src/gpu/nodeShaders.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { loadModel } from '../../src/model/loader.ts';
import { initialLoraWeights, LoraAdapter, type LoraSettings } from '../../src/model/lora.ts';
import { planMemory, type MemoryPlan, type RunShape } from '../../src/model/memoryPlanner.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { evaluate } from '../../src/rl/evaluation.ts';
import { evalSettings } from '../../src/rl/runSetup.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { LmTrainer } from '../../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimizer.ts';

const LORA: LoraSettings = { rank: 4, alpha: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], dropout: 0 };

/**
 * A model on a fresh device (so the pool's peak is this run's), with LoRA or not; by default with
 * a 48 KiB binding cap, which stores the embedding and lm_head as two row blocks.
 */
async function fresh(lora: boolean, maxBindingBytes = 48 * 1024) {
  const gpu = new Gpu(await openNodeDevice(), loadNodeShaders(), { maxBindingBytes });
  const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
  if (maxBindingBytes === 48 * 1024) expect(model.lmHead.blocks.length).toBe(2);
  if (lora) model.lora = new LoraAdapter(gpu, loaded.config, LORA, initialLoraWeights(loaded.config, LORA, 1));
  return { gpu, loaded, model };
}

function expectWithinPlan(gpu: Gpu, plan: MemoryPlan) {
  const { peakBytes } = gpu.pool.stats();
  expect(peakBytes).toBeGreaterThan(0);
  expect(peakBytes).toBeLessThanOrEqual(plan.totalBytes);
}

describe('measured GPU memory against the plan', () => {
  for (const lora of [true, false]) {
    it(`an SFT step (${lora ? 'LoRA' : 'full fine-tuning'}) holds no more than planned`, async () => {
      const { gpu, model } = await fresh(lora);
      const [B, T] = [2, 16];
      const trainer = new LmTrainer(model, B, T, DEFAULT_OPTIMIZER);
      const tokens = Array.from({ length: B * T }, (_, i) => (i * 37) % 300);
      await trainer.step([{ tokens, targets: tokens.map((t) => (t + 1) % 300), mask: tokens.map(() => 1) }]);
      expectWithinPlan(gpu, trainer.plan);
      trainer.release();
      gpu.destroy();
    });
  }

  it('an SFT step with LoRA under a budget that asks for recomputation holds no more than planned', async () => {
    const { gpu, loaded, model } = await fresh(true);
    const [B, T] = [2, 16];
    const shape: RunShape = { batch: B, seqLen: T, finetune: { kind: 'lora', ...LORA }, generationBatch: 0, generationLen: 0, referenceCopy: false };
    const limits = { budgetBytes: gpu.memoryBudgetBytes, maxStorageBufferBindingSize: gpu.maxBindingBytes };
    gpu.memoryBudgetBytes = planMemory(loaded.config, shape, limits).totalBytes - 1;
    const trainer = new LmTrainer(model, B, T, DEFAULT_OPTIMIZER);
    expect(trainer.plan.recompute).toBe(true);
    const tokens = Array.from({ length: B * T }, (_, i) => (i * 37) % 300);
    await trainer.step([{ tokens, targets: tokens.map((t) => (t + 1) % 300), mask: tokens.map(() => 1) }]);
    expectWithinPlan(gpu, trainer.plan);
    trainer.release();
    gpu.destroy();
  });

  it('an AlphaAlign step with LoRA (rollouts, reference log-probs, the update) holds no more than planned', async () => {
    const { gpu, loaded, model } = await fresh(true);
    const config = parseRlConfig({ num_generations: 2, prompts_per_step: 2, per_device_train_batch_size: 2, generation_batch_size: 4, max_completion_length: 6, template: '{{prompt}}', beta: 0.04, seed: 3 });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 24);
    await trainer.train([
      { id: '1', prompt: 'the thin', label: 'harmful' },
      { id: '2', prompt: 'answer on', label: 'benign' },
    ]);
    expectWithinPlan(gpu, trainer.plan);
    trainer.release();
    gpu.destroy();
  });

  it('an AlphaAlign run with a reference copy (evaluations of many prompt lengths, steps of several) holds no more than planned', async () => {
    // Full fine-tuning with beta > 0, as the demo preset: the reference copy runs its own forward;
    // prompts of different lengths build update graphs and prefill graphs of several lengths,
    // which the trainer and the generators keep within the one of each the plan counts.
    // Sequences of up to 64 tokens: the cap is raised for their attention probabilities.
    const { gpu, loaded, model } = await fresh(false, 1024 * 1024);
    const reference = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const config = parseRlConfig({ num_generations: 2, prompts_per_step: 2, per_device_train_batch_size: 2, generation_batch_size: 4, max_completion_length: 6, template: '{{prompt}}', beta: 0.04, seed: 3, eval_judge: 'rules' });
    const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, 64, reference);
    const short = [
      { id: '1', prompt: 'the thin', label: 'harmful' as const },
      { id: '2', prompt: 'answer on', label: 'benign' as const },
    ];
    const long = [
      { id: '3', prompt: 'answer on the thin answer on the thin', label: 'benign' as const },
      { id: '4', prompt: 'the thin answer on the thin', label: 'harmful' as const },
    ];
    // Evaluation batches of prompts of many lengths: a prefill graph for each.
    const held = [...short, ...long, ...Array.from({ length: 12 }, (_, i) => ({ id: `h${i}`, prompt: 'a'.repeat(24 + i), label: 'benign' as const }))];
    await evaluate(model, loaded.tokenizer, held, evalSettings(config, null));
    for (const rows of [long, short, long, short]) await trainer.train(rows);
    await evaluate(model, loaded.tokenizer, held, evalSettings(config, null));
    expectWithinPlan(gpu, trainer.plan);
    expect(trainer.plan.parts.find((p) => p.name === 'reference activations')?.bytes).toBeGreaterThan(0);
    trainer.release();
    reference.weights.release();
    gpu.destroy();
  });
});
