// A frozen base kept as its checkpoint stores it: a fixture re-saved as BF16 or F16 loads with
// that dtype, and LoRA on it (weights packed on the GPU, unpacked by the kernels) gives the
// logits, loss and adapter gradients of the same rounded weights run in f32, with and without
// recomputation, one fixture with its tied embedding and lm_head in row blocks. Full
// fine-tuning refuses a packed base.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import { groupTokens, uploadTokenGrouping } from '../../src/gpu/kernels/embedding.ts';
import { openNodeDevice } from '../../src/gpu/nodeDevice.ts';
import { loadNodeShaders } from '../../src/gpu/nodeShaders.ts';
import { BackwardScratch, buildBackward } from '../../src/model/backward.ts';
import { memorySource } from '../../src/model/files.ts';
import { Activations, buildForward, LlamaModel } from '../../src/model/llama.ts';
import { loadModel, weightsStorage, type LoadedModel } from '../../src/model/loader.ts';
import { initialLoraWeights, LoraAdapter, type LoraSettings } from '../../src/model/lora.ts';
import { MaskedCrossEntropy } from '../../src/model/loss.ts';
import { parameterSpecs } from '../../src/model/parameters.ts';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.ts';
import { LmTrainer } from '../../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimizer.ts';
import { expectClose } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';

const LORA: LoraSettings = { rank: 4, alpha: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], dropout: 0 };
const [B, T] = [1, 12];

/** The fixture folder with model.safetensors re-saved as `dtype`. */
async function loadAs(name: string, dtype: 'BF16' | 'F16'): Promise<LoadedModel> {
  const dir = `tests/fixtures/models/${name}`;
  const f32 = parseSafetensors(readFileSync(`${dir}/model.safetensors`), name);
  const files = new Map<string, Uint8Array>();
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) files.set(file, new Uint8Array(readFileSync(`${dir}/${file}`)));
  files.set('model.safetensors', serializeSafetensors(f32.names.map((n) => ({ name: n, shape: f32.shape(n), data: f32.read(n) })), dtype));
  return loadModel(memorySource(name, files));
}

/** Logits, loss and LoRA gradients of one batch on `model` (an adapter with a non-zero B). */
async function run(model: LlamaModel, recompute: boolean) {
  const { gpu, config } = model;
  const weights = initialLoraWeights(config, LORA, 4);
  for (const [param, values] of weights) if (param.includes('lora_B')) values.forEach((_, i) => (values[i] = Math.cos(i) / 10));
  model.lora = new LoraAdapter(gpu, config, LORA, weights);
  const ids = Array.from({ length: B * T }, (_, i) => (i * 29 + 3) % config.vocabSize);
  const acts = new Activations(model, B, T, { logits: true, layers: recompute ? 'recompute' : 'every' });
  const scratch = new BackwardScratch(model, B, T);
  const grads = model.lora.weights.zerosLike('lora grad');
  const loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, 64, model.lmHead.rowsPerBlock);
  const forward = buildForward(model, acts);
  gpu.write(acts.tokens, Uint32Array.from(ids));
  loss.setBatch(ids.map((t) => (t + 7) % config.vocabSize), ids.map(() => 1));
  uploadTokenGrouping(gpu, scratch.grouping, groupTokens(ids, config.vocabSize));
  gpu.clear([scratch.dres]);
  gpu.run([...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)]);
  const result = { logits: await gpu.readF32(acts.logits!), loss: await loss.read(), grads: await grads.download() };
  for (const part of [acts, scratch, grads, loss, model.lora.weights]) part.release();
  model.lora = null;
  return result;
}

function maxNormalised(actual: Float32Array, expected: Float32Array, rel: number, what: string) {
  const max = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectClose(actual, expected, { atol: rel * max, rtol: 0 }, what);
}

describe.each([
  ['qwen2-bias', 'BF16', false],
  ['llama-tied', 'F16', true],
] as const)('%s saved as %s, LoRA on the packed base (row blocks: %s)', (name, fileDtype, blocks) => {
  it('loads with the file\'s dtype and matches the same rounded weights in f32', async () => {
    const gpu = blocks ? new Gpu(await openNodeDevice(), loadNodeShaders(), { maxBindingBytes: 16 * 1024 }) : await testGpu();
    const loaded = await loadAs(name, fileDtype);
    const dtype = fileDtype === 'BF16' ? 'bf16' : 'f16';
    expect(loaded.dtype).toBe(dtype);
    expect(weightsStorage(loaded, true)).toBe(dtype);
    expect(weightsStorage(loaded, false)).toBe('f32');
    const packed = LlamaModel.load(gpu, loaded.config, loaded.weights, dtype);
    const full = LlamaModel.load(gpu, loaded.config, loaded.weights);
    // Matrices packed, norms f32; the packed embedding reads back as the rounded values.
    const embedding = packed.weights.blocks('model.embed_tokens.weight');
    expect(embedding.blocks.every((t) => t.dtype === dtype)).toBe(true);
    expect(embedding.blocks.length > 1).toBe(blocks);
    expect(packed.weights.get('model.norm.weight').dtype).toBe('f32');
    expect(await embedding.download(gpu)).toEqual(loaded.weights.get('model.embed_tokens.weight'));
    const matrices = parameterSpecs(loaded.config).filter((s) => s.shape.length === 2);
    const bytes = (model: LlamaModel) => model.weights.all().reduce((sum, t) => sum + t.byteLength, 0);
    expect(bytes(full) - bytes(packed)).toBeGreaterThan(0.49 * matrices.reduce((s, m) => s + m.shape[0]! * m.shape[1]! * 4, 0));

    const expected = await run(full, false);
    for (const recompute of [false, true]) {
      const got = await run(packed, recompute);
      maxNormalised(got.logits, expected.logits, 1e-5, `logits (recompute ${recompute})`);
      expect(Math.abs(got.loss - expected.loss)).toBeLessThan(1e-5);
      for (const [param, grad] of expected.grads) maxNormalised(got.grads.get(param)!, grad, 1e-4, `grad of ${param}`);
    }
    expect(() => new LmTrainer(packed, B, T, DEFAULT_OPTIMIZER)).toThrow(/AdamW updates f32 weights, not a frozen base stored/);
    if (blocks) gpu.destroy();
  });
});
