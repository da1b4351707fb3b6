import { describe, expect, it } from 'vitest';
import { benchShape, shapeBenchRequest } from '../../src/cli/benchShape.ts';
import { testGpu } from '../helpers/testGpu.ts';
import { lab } from './lab.ts';

// Not a speed test: one layer of SmolLM2-135M's width and vocabulary, a tiny batch, and every
// figure checked for sense.
describe('bench model --shape', () => {
  it('times load, inference, LoRA and an AlphaAlign step of a real shape, and its peak memory within the plan', async () => {
    const gpu = await testGpu();
    const r = await benchShape(gpu, 'smollm2-135m', {
      layers: 1,
      B: 1,
      T: 8,
      decodeSteps: 2,
      repeats: 1,
      rl: { prompts_per_step: 1, num_generations: 2, max_completion_length: 4, template: '{{prompt}}' },
    });
    expect(r.repo).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');
    expect(r.config).toEqual({ hidden: 576, intermediate: 1536, layers: 1, published_layers: 30, heads: 9, kvHeads: 3, headDim: 64, vocab: 49152, parameters: 28_311_552 + 3_540_096 + 576, batch: 1, seqLen: 8 });
    // bf16: two bytes a parameter and a header.
    expect(r.load_bytes).toBeGreaterThan(2 * r.config.parameters);
    expect(r.load_bytes).toBeLessThan(2 * r.config.parameters + 4096);
    expect(r.upload_s).toBeGreaterThan(0);
    expect(r.load_s).toBeGreaterThanOrEqual(r.upload_s);
    for (const value of [r.prefill_tokens_per_s, r.decode_tokens_per_s, r.lora_train_tokens_per_s]) {
      expect(value).toBeGreaterThan(0);
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(r.lora_train_tokens_per_s).toBeCloseTo(8 / r.lora_train_step_s, 6);
    expect(r.lora).toEqual({ rank: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    const a = r.alphaalign;
    expect([a.finetune, a.prompts, a.generations, a.max_completion_length]).toEqual(['lora', 1, 2, 4]);
    // The first prompt of the demo's training set through the chat template, then the completion.
    expect(a.seq_len).toBeGreaterThan(a.max_completion_length + 5);
    expect(a.seq_len).toBeLessThan(64);
    expect(a.step_s).toBeGreaterThan(0);
    expect(a.first_step_s).toBeGreaterThan(0);
    expect(a.tokens_per_s).toBeGreaterThan(0);
    const m = r.memory;
    // The frozen base stays bf16 on the GPU, as a LoRA run keeps a bf16 checkpoint: two bytes a
    // parameter, and the rest of a one-layer run is far less than an f32 copy.
    expect(m.measured_peak_bytes).toBeGreaterThan(2 * r.config.parameters);
    expect(m.measured_peak_bytes).toBeLessThan(4 * r.config.parameters);
    expect(m.planned_bytes).toBeGreaterThan(2 * r.config.parameters);
    expect(m.within_plan).toBe(m.measured_peak_bytes <= m.planned_bytes);
    expect(m.within_plan).toBe(true);
    expect(m.fits_default_budget).toBe(true);
    expect(gpu.memoryBudgetBytes).toBe(m.default_budget_bytes);
  }, 600_000);

  it('runs the AlphaAlign step as the preset does, every weight trained and a frozen reference planned and held', async () => {
    const gpu = await testGpu();
    const options = { layers: 1, B: 1, T: 4, decodeSteps: 1, repeats: 1, rl: { prompts_per_step: 1, num_generations: 2, max_completion_length: 2, template: '{{prompt}}' } };
    const r = await benchShape(gpu, 'smollm2-135m', { ...options, finetune: 'full' });
    expect(r.alphaalign.finetune).toBe('full');
    expect(r.alphaalign.step_s).toBeGreaterThan(0);
    // Weights, gradients and two AdamW moments in f32, and the frozen reference in bf16.
    const copies = (4 + 4 + 8 + 2) * r.config.parameters;
    expect(r.memory.planned_bytes).toBeGreaterThan(copies);
    expect(r.memory.measured_peak_bytes).toBeGreaterThan(copies);
    // Within the plan (which counts both models' RoPE tables), and within 1 % of it.
    expect(Math.abs(r.memory.measured_peak_bytes - r.memory.planned_bytes) / r.memory.planned_bytes).toBeLessThan(0.01);
    expect(r.memory.within_plan).toBe(true);
    expect(r.memory.measured_peak_bytes).toBeLessThanOrEqual(r.memory.planned_bytes);
    expect(r.lora_train_tokens_per_s).toBeGreaterThan(0);
  }, 600_000);
});

describe('bench model --shape options', () => {
  it('reads the shape, its layers and the smaller batch, and names the option that is wrong', () => {
    expect(shapeBenchRequest('model', { json: true })).toBeNull();
    expect(shapeBenchRequest('model', { shape: 'qwen3-0.6b', layers: '2', batch: '1', seq: '16', prompts: '1', generations: '2', 'completion-tokens': '8', template: '{{prompt}}' })).toEqual({
      shape: 'qwen3-0.6b',
      options: { layers: 2, B: 1, T: 16, rl: { prompts_per_step: 1, num_generations: 2, max_completion_length: 8, template: '{{prompt}}' } },
    });
    expect(shapeBenchRequest('model', { shape: 'llama-3.2-1b' })).toEqual({ shape: 'llama-3.2-1b', options: { rl: {} } });
    expect(shapeBenchRequest('model', { shape: 'smollm2-135m', finetune: 'full' })).toEqual({ shape: 'smollm2-135m', options: { rl: {}, finetune: 'full' } });
    expect(() => shapeBenchRequest('model', { shape: 'smollm2-135m', finetune: 'qlora' })).toThrow(/--finetune must be one of lora, full, not "qlora"/);
    expect(() => shapeBenchRequest('model', { shape: 'gpt2' })).toThrow(/--shape must be one of smollm2-135m, smollm2-360m, qwen2.5-0.5b, qwen3-0.6b, llama-3.2-1b, not "gpt2"/);
    expect(() => shapeBenchRequest('model', { shape: 'smollm2-135m', layers: '31' })).toThrow(/--layers must be between 1 and 30, not 31/);
    expect(() => shapeBenchRequest('model', { shape: 'smollm2-135m', batch: 'two' })).toThrow(/--batch must be an integer, not "two"/);
    expect(() => shapeBenchRequest('model', { layers: '2' })).toThrow(/--layers goes with --shape/);
    expect(() => shapeBenchRequest('kernels', { shape: 'smollm2-135m' })).toThrow(/--shape is an option of bench model, not bench kernels/);
  });

  it('refuses a shape it does not know before opening a GPU, with exit code 2', () => {
    const result = lab(['bench', 'model', '--shape', 'mistral-7b']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/lab bench: --shape must be one of smollm2-135m, .*llama-3.2-1b, not "mistral-7b"/);
  }, 120_000);
});
