// The whole model against PyTorch: logits, mean cross-entropy and every parameter's gradient for
// the five fixture models that scripts/make_fixtures.py wrote (loaded through the real loader):
// Llama (GQA, tied, llama3 rope scaling), Qwen2 with biases, Qwen3 with head_dim ≠ hidden / heads.
// The loss and its backward go over vocabulary chunks: the whole vocabulary (300) at once, and
// chunks of 64 and 28 columns, neither dividing it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupTokens, uploadTokenGrouping } from '../../src/gpu/kernels/embedding.ts';
import { BackwardScratch, buildBackward } from '../../src/model/backward.ts';
import { loadModel } from '../../src/model/loader.ts';
import { Activations, buildForward, LlamaModel } from '../../src/model/llama.ts';
import { MaskedCrossEntropy } from '../../src/model/loss.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { expectClose } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';

interface Expected {
  input_ids: number[][];
  labels: number[][];
  loss: number;
}

/** |a − e| ≤ rel · max|e| over the whole tensor: the "normalised by the max" measure. */
function maxNormalised(actual: Float32Array, expected: Float32Array, rel: number, what: string) {
  let max = 0;
  for (const v of expected) max = Math.max(max, Math.abs(v));
  expectClose(actual, expected, { atol: rel * max, rtol: 0 }, what);
}

describe.each(['llama-gqa', 'llama-tied', 'qwen2-bias', 'llama3-rope-scaling', 'qwen3-head-dim'])('%s against PyTorch', (name) => {
  it.each([300, 64, 28])('matches logits, loss and every parameter gradient (logits chunks of %i)', async (chunkColumns) => {
    const gpu = await testGpu();
    const dir = `tests/fixtures/models/${name}`;
    const loaded = await loadModel(folderSource(dir));
    const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Expected;
    const reference = parseSafetensors(readFileSync(`${dir}/expected.safetensors`), 'expected.safetensors');
    const B = expected.input_ids.length;
    const T = expected.input_ids[0]!.length;
    const { config } = loaded;

    const model = LlamaModel.load(gpu, config, loaded.weights);
    const acts = new Activations(model, B, T, { logits: true });
    const grads = model.weights.zerosLike('grad');
    const scratch = new BackwardScratch(model, B, T);
    const loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, chunkColumns);
    const ids = expected.input_ids.flat();
    const labels = expected.labels.flat();
    gpu.write(acts.tokens, Uint32Array.from(ids));
    loss.setBatch(labels.map((t) => Math.max(t, 0)), labels.map((t) => (t >= 0 ? 1 : 0)));
    uploadTokenGrouping(gpu, scratch.grouping, groupTokens(ids, config.vocabSize));
    gpu.clear([scratch.dres]);
    const forward = buildForward(model, acts);
    gpu.run([...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)]);

    maxNormalised(await gpu.readF32(acts.logits!), reference.read('logits'), 1e-4, 'logits');
    expect(Math.abs((await loss.read()) - expected.loss)).toBeLessThan(1e-5);
    const got = await grads.download();
    for (const [param, grad] of got) maxNormalised(grad, reference.read(`grad.${param}`), 1e-3, `grad of ${param}`);
  });
});
