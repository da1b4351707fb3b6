// The step-time estimate (src/rl/stepEstimate.ts) against the step it estimates: within 2× of a
// measured AlphaAlign step on the demo model and on a 2-layer Qwen2.5-0.5B-shaped model (real width
// and vocabulary). Steps are tiny (a prompt or two, short completions) so the test stays within a
// few minutes on a CPU adapter; the estimate assumes completions run to max_completion_length, as
// the random-weight model's do.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src/data/import.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { weightsStorage } from '../../src/model/loader.ts';
import { LoraAdapter, initialLoraWeights } from '../../src/model/lora.ts';
import { parseRlConfig, type RlConfig } from '../../src/rl/config.ts';
import { promptIds } from '../../src/rl/prompting.ts';
import { estimateLine, estimateStepTime } from '../../src/rl/stepEstimate.ts';
import { AlphaAlignTrainer } from '../../src/rl/trainer.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { writeShapedModel } from '../helpers/shapedModel.ts';
import { testGpu } from '../helpers/testGpu.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The estimate and the measured step (the faster of steps 2 and 3: step 1 compiles pipelines) of `settings` on the model in `dir`. */
async function estimateAndMeasure(dir: string, settings: Record<string, unknown>) {
  const gpu = await testGpu();
  const loaded = await loadCheckpoint(folderSource(dir));
  const config: RlConfig = parseRlConfig(settings);
  const rows = importDataset(readFileSync('public/datasets/demo-train.jsonl', 'utf8'), 'demo-train.jsonl').rows.slice(0, config.prompts_per_step);
  const promptTokens = Math.max(...rows.map((r) => promptIds(loaded.tokenizer, config.template, r.prompt).length));
  const estimate = await estimateStepTime(gpu, { config: loaded.config, frozenDtype: loaded.dtype, promptTokens }, config);

  const lora = config.finetune.kind === 'lora' ? config.finetune : null;
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights, weightsStorage(loaded, lora !== null));
  if (lora) model.lora = new LoraAdapter(gpu, loaded.config, lora, initialLoraWeights(loaded.config, lora, 1));
  // Full fine-tuning with a KL term (the demo preset's) keeps a frozen copy as its reference.
  const reference = config.beta > 0 && !lora ? LlamaModel.load(gpu, loaded.config, loaded.weights, weightsStorage(loaded, true)) : null;
  const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, Math.min(model.maxPositions, promptTokens + config.max_completion_length), reference);
  const times: number[] = [];
  for (let step = 0; step < 3; step++) times.push((await trainer.train(rows)).metrics.step_time_s);
  trainer.release();
  model.lora?.weights.release();
  for (const m of [model, reference]) {
    if (!m) continue;
    m.weights.release();
    gpu.release(m.freqs);
  }
  gpu.pool.trim();
  return { estimate, measured: Math.min(times[1]!, times[2]!) };
}

describe('the step-time estimate', () => {
  it('is within 2× of a measured step on the demo model (full fine-tuning, the demo preset made small)', async () => {
    const preset = JSON.parse(readFileSync('public/datasets/demo-config.json', 'utf8')) as Record<string, unknown>;
    const { estimate, measured } = await estimateAndMeasure('public/models/demo', {
      ...preset,
      prompts_per_step: 2,
      num_generations: 4,
      per_device_train_batch_size: 4,
      generation_batch_size: 8,
      max_completion_length: 24,
    });
    console.log(`demo: estimate ${estimate.seconds_per_step.toFixed(2)} s (${estimateLine(estimate)}), measured ${measured.toFixed(2)} s`, estimate.calibration);
    expect(estimate.seconds_per_step).toBeGreaterThan(measured / 2);
    expect(estimate.seconds_per_step).toBeLessThan(measured * 2);
  }, 600_000);

  it('is within 2× of a measured step on a 2-layer Qwen2.5-0.5B-shaped model (LoRA, short completions)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qwen-estimate-'));
    dirs.push(dir);
    writeShapedModel('qwen2.5-0.5b-2layers', dir);
    const { estimate, measured } = await estimateAndMeasure(dir, {
      prompts_per_step: 1,
      num_generations: 2,
      per_device_train_batch_size: 2,
      generation_batch_size: 2,
      max_completion_length: 8,
      template: '{{prompt}}',
      finetune: { kind: 'lora', rank: 8 },
    });
    console.log(`qwen2.5-0.5b, 2 layers: estimate ${estimate.seconds_per_step.toFixed(2)} s, measured ${measured.toFixed(2)} s`, estimate.calibration);
    expect(estimate.seconds_per_step).toBeGreaterThan(measured / 2);
    expect(estimate.seconds_per_step).toBeLessThan(measured * 2);
  }, 900_000);
});
