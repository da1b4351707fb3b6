// Activation recomputation (Activations' layers: 'recompute'): the layers share one set of activation
// buffers and each layer's forward runs again before its backward, so the loss and every
// gradient are those of the pass that keeps every layer's activations, bit for bit (the same
// kernels on the same inputs), for full fine-tuning and for LoRA with dropout (the replayed
// dropout draws the same masks).
import { describe, expect, it } from 'vitest';
import { groupTokens, uploadTokenGrouping } from '../../src/gpu/kernels/embedding.ts';
import { BackwardScratch, buildBackward } from '../../src/model/backward.ts';
import { loadModel } from '../../src/model/loader.ts';
import { Activations, buildForward, LlamaModel } from '../../src/model/llama.ts';
import { initialLoraWeights, LoraAdapter, type LoraSettings } from '../../src/model/lora.ts';
import { MaskedCrossEntropy } from '../../src/model/loss.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { testGpu } from '../helpers/testGpu.ts';

const LORA: LoraSettings = { rank: 4, alpha: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], dropout: 0.1 };
const [B, T] = [2, 12];

/** The loss and the trained parameters' gradients of one batch, recomputing or keeping every layer's activations. */
async function lossAndGrads(model: LlamaModel, recompute: boolean) {
  const { gpu, config } = model;
  const ids = Array.from({ length: B * T }, (_, i) => (i * 53 + 7) % config.vocabSize);
  const acts = new Activations(model, B, T, { layers: recompute ? 'recompute' : 'every' });
  const scratch = new BackwardScratch(model, B, T);
  const grads = (model.lora?.weights ?? model.weights).zerosLike('grad');
  const loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, 64, model.lmHead.rowsPerBlock);
  const forward = buildForward(model, acts, model.lora ? { dropoutSeed: 5 } : {});
  gpu.write(acts.tokens, Uint32Array.from(ids));
  loss.setBatch(ids.map((t) => (t + 1) % config.vocabSize), ids.map((_, i) => (i % T === 0 ? 0 : 1)));
  uploadTokenGrouping(gpu, scratch.grouping, groupTokens(ids, config.vocabSize));
  gpu.clear([scratch.dres]);
  forward.setDropoutStep(3);
  gpu.run([...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)]);
  const result = { loss: await loss.read(), grads: await grads.download() };
  for (const part of [acts, scratch, grads, loss]) part.release();
  return result;
}

describe.each([
  ['llama-gqa', false],
  ['qwen3-head-dim', true],
])('recomputation on %s (LoRA: %s)', (name, lora) => {
  it('gives the same loss and gradients as keeping every layer, and holds one layer of activations', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource(`tests/fixtures/models/${name}`));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    if (lora) {
      // PEFT starts B at zero, which would leave every A without a gradient.
      const weights = initialLoraWeights(loaded.config, LORA, 2);
      for (const [param, values] of weights) if (param.includes('lora_B')) values.forEach((_, i) => (values[i] = Math.sin(i) / 10));
      model.lora = new LoraAdapter(gpu, loaded.config, LORA, weights);
    }
    const kept = await lossAndGrads(model, false);
    const recomputed = await lossAndGrads(model, true);
    expect(recomputed.loss).toBe(kept.loss);
    expect([...recomputed.grads.keys()]).toEqual([...kept.grads.keys()]);
    for (const [param, grad] of kept.grads) {
      expect(grad.some((g) => g !== 0), `${param} has a gradient`).toBe(true);
      expect(recomputed.grads.get(param), param).toEqual(grad);
    }
    const acts = new Activations(model, B, T, { layers: 'recompute' });
    const [first, second] = acts.layers;
    expect(second!.res).not.toBe(first!.res);
    expect(second!.gate).toBe(first!.gate);
    acts.release();
    // Forward only, the residual is shared too, and there is no backward to build.
    const forwardOnly = new Activations(model, B, T, { layers: 'forward' });
    expect(forwardOnly.layers[1]!.res).toBe(forwardOnly.layers[0]!.res);
    const scratch = new BackwardScratch(model, B, T);
    const grads = model.weights.zerosLike('grad');
    const loss = new MaskedCrossEntropy(gpu, B * T, loaded.config.vocabSize, loaded.config.hiddenSize, 64, model.lmHead.rowsPerBlock);
    expect(() => buildBackward(model, forwardOnly, grads, scratch, loss.backward, buildForward(model, forwardOnly))).toThrow(/forward-only pass/);
    for (const part of [forwardOnly, scratch, grads, loss]) part.release();
  });
});
