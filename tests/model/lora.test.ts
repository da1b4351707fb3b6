// LoRA against PyTorch (scripts/make_fixtures.py writes an adapter on every projection of two
// fixture models, with the expected logits, loss and adapter gradients), and the identities a
// user relies on: adapters off is the base, merged weights are the adapted model.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupTokens, uploadTokenGrouping } from '../../src/gpu/kernels/embedding.ts';
import { BackwardScratch, buildBackward } from '../../src/model/backward.ts';
import { memorySource } from '../../src/model/files.ts';
import { loadModel, type LoadedModel } from '../../src/model/loader.ts';
import { Activations, buildForward, LlamaModel } from '../../src/model/llama.ts';
import { LoraAdapter, mergeLora } from '../../src/model/lora.ts';
import { MaskedCrossEntropy } from '../../src/model/loss.ts';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { expectClose } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';

function maxNormalised(actual: Float32Array, expected: Float32Array, rel: number, what: string) {
  let max = 0;
  for (const v of expected) max = Math.max(max, Math.abs(v));
  expectClose(actual, expected, { atol: rel * max, rtol: 0 }, what);
}

/** The fixture folder with its lora/ adapter files beside the base files, as PEFT saves them. */
async function loadWithAdapter(name: string): Promise<LoadedModel> {
  const dir = `tests/fixtures/models/${name}`;
  const files = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir)) if (f.includes('.')) files.set(f, new Uint8Array(readFileSync(`${dir}/${f}`)));
  for (const f of ['adapter_config.json', 'adapter_model.safetensors']) files.set(f, new Uint8Array(readFileSync(`${dir}/lora/${f}`)));
  return loadModel(memorySource(name, files));
}

async function logitsOf(model: LlamaModel, ids: number[], B: number, T: number, adapters = true): Promise<Float32Array> {
  const acts = new Activations(model, B, T, { logits: true });
  model.gpu.write(acts.tokens, Uint32Array.from(ids));
  model.gpu.run(buildForward(model, acts, { adapters }).dispatches);
  const logits = await model.gpu.readF32(acts.logits!);
  acts.release();
  return logits;
}

describe.each(['llama-gqa', 'qwen2-bias', 'llama3-rope-scaling', 'qwen3-head-dim'])('LoRA on %s', (name) => {
  it('matches PyTorch: logits, loss and every adapter gradient, with the base frozen', async () => {
    const gpu = await testGpu();
    const loaded = await loadWithAdapter(name);
    expect(loaded.adapter!.settings).toEqual({ rank: 4, alpha: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], dropout: 0 });
    const expected = JSON.parse(readFileSync(`tests/fixtures/models/${name}/expected.json`, 'utf8')) as { input_ids: number[][]; labels: number[][] };
    const reference = parseSafetensors(readFileSync(`tests/fixtures/models/${name}/lora/expected.safetensors`), 'expected');
    const B = expected.input_ids.length;
    const T = expected.input_ids[0]!.length;
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    model.lora = new LoraAdapter(gpu, loaded.config, loaded.adapter!.settings, loaded.adapter!.weights);
    const acts = new Activations(model, B, T, { logits: true });
    const scratch = new BackwardScratch(model, B, T);
    const grads = model.lora.weights.zerosLike('lora grad');
    // Chunks of 64 of the 300 columns: the frozen head's backward still goes chunk by chunk.
    const loss = new MaskedCrossEntropy(gpu, B * T, loaded.config.vocabSize, loaded.config.hiddenSize, 64);
    const ids = expected.input_ids.flat();
    const labels = expected.labels.flat();
    gpu.write(acts.tokens, Uint32Array.from(ids));
    loss.setBatch(labels.map((t) => Math.max(t, 0)), labels.map((t) => (t >= 0 ? 1 : 0)));
    uploadTokenGrouping(gpu, scratch.grouping, groupTokens(ids, loaded.config.vocabSize));
    gpu.clear([scratch.dres]);
    const forward = buildForward(model, acts);
    gpu.run([...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)]);
    maxNormalised(await gpu.readF32(acts.logits!), reference.read('logits'), 1e-4, 'logits');
    expect(Math.abs((await loss.read()) - reference.read('loss')[0]!)).toBeLessThan(1e-5);
    for (const [param, grad] of await grads.download()) maxNormalised(grad, reference.read(`grad.${param}`), 1e-3, `grad of ${param}`);
  });

  it('with adapters off is the base model, and merged weights give the adapted logits', async () => {
    const gpu = await testGpu();
    const loaded = await loadWithAdapter(name);
    const ids = [3, 14, 15, 92, 65, 35];
    const base = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const baseLogits = await logitsOf(base, ids, 1, 6);
    base.lora = new LoraAdapter(gpu, loaded.config, loaded.adapter!.settings, loaded.adapter!.weights);
    expect(await logitsOf(base, ids, 1, 6, false)).toEqual(baseLogits);
    const adapted = await logitsOf(base, ids, 1, 6);
    expect(adapted).not.toEqual(baseLogits);
    const merged = LlamaModel.load(gpu, loaded.config, mergeLora(loaded.config, loaded.adapter!.settings, loaded.weights, loaded.adapter!.weights));
    maxNormalised(await logitsOf(merged, ids, 1, 6), adapted, 1e-5, 'merged logits');
  });
});

describe('LoRA dropout', () => {
  /** The mean loss and adapter gradients of one batch, with dropout masks drawn at `step`. */
  async function lossAndGrads(model: LlamaModel, ids: number[], labels: number[], B: number, T: number, step: number) {
    const { gpu, config } = model;
    const acts = new Activations(model, B, T);
    const scratch = new BackwardScratch(model, B, T);
    const grads = model.lora!.weights.zerosLike('lora grad');
    const loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, config.vocabSize);
    const forward = buildForward(model, acts, { dropoutSeed: 11 });
    gpu.write(acts.tokens, Uint32Array.from(ids));
    loss.setBatch(labels.map((t) => Math.max(t, 0)), labels.map((t) => (t >= 0 ? 1 : 0)));
    gpu.clear([scratch.dres]);
    forward.setDropoutStep(step);
    gpu.run([...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)]);
    const result = { loss: await loss.read(), grads: await grads.download() };
    acts.release();
    scratch.release();
    grads.release();
    loss.release();
    return result;
  }

  it('gives gradients that match finite differences of the loss under the same masks', async () => {
    const gpu = await testGpu();
    const loaded = await loadWithAdapter('llama-gqa');
    const expected = JSON.parse(readFileSync('tests/fixtures/models/llama-gqa/expected.json', 'utf8')) as { input_ids: number[][]; labels: number[][] };
    const ids = expected.input_ids.flat();
    const labels = expected.labels.flat();
    const settings = { ...loaded.adapter!.settings, dropout: 0.3 };
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    model.lora = new LoraAdapter(gpu, loaded.config, settings, loaded.adapter!.weights);
    const base = await lossAndGrads(model, ids, labels, 2, 9, 1);
    expect((await lossAndGrads(model, ids, labels, 2, 9, 1)).loss).toBe(base.loss); // same step, same masks
    expect((await lossAndGrads(model, ids, labels, 2, 9, 2)).loss).not.toBe(base.loss); // a new step, new masks

    const name = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
    const grad = base.grads.get(name)!;
    const A = Float32Array.from(loaded.adapter!.weights.get(name)!);
    const largest = [...grad.keys()].sort((i, j) => Math.abs(grad[j]!) - Math.abs(grad[i]!)).slice(0, 3);
    for (const i of largest) {
      const h = 1e-2;
      const at = (delta: number) => {
        const values = new Map(loaded.adapter!.weights);
        const moved = Float32Array.from(A);
        moved[i] = A[i]! + delta;
        values.set(name, moved);
        model.lora!.weights.upload(values);
        return lossAndGrads(model, ids, labels, 2, 9, 1);
      };
      const fd = ((await at(h)).loss - (await at(-h)).loss) / (2 * h);
      expect(Math.abs(fd - grad[i]!)).toBeLessThan(0.03 * Math.abs(grad[i]!) + 1e-4);
    }
  });
});
