// The benchmark's peer model must be the lab's model: TF.js's loss and every gradient on the
// PyTorch fixtures, as tests/model/parity.test.ts holds the engine to them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tfjsOnDevice } from '../../src/cli/benchKernels.ts';
import { tfjsLlama } from '../../src/cli/tfjsLlama.ts';
import { loadModel } from '../../src/model/loader.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { expectClose } from '../helpers/compare.ts';
import { testGpu } from '../helpers/testGpu.ts';

describe.each(['llama-gqa', 'qwen2-bias', 'qwen3-head-dim'])('the TF.js peer model on %s', (name) => {
  it('matches PyTorch: loss and every parameter gradient', async () => {
    const gpu = await testGpu();
    const tf = await tfjsOnDevice(gpu);
    const dir = `tests/fixtures/models/${name}`;
    const loaded = await loadModel(folderSource(dir));
    const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as { input_ids: number[][]; labels: number[][]; loss: number };
    const reference = parseSafetensors(readFileSync(`${dir}/expected.safetensors`), 'expected.safetensors');
    const B = expected.input_ids.length;
    const T = expected.input_ids[0]!.length;
    const labels = expected.labels.flat();

    const model = tfjsLlama(tf, loaded.config, loaded.weights);
    const { value, grads } = tf.variableGrads(() =>
      model.loss(
        Int32Array.from(expected.input_ids.flat()),
        Int32Array.from(labels, (t) => Math.max(t, 0)),
        Float32Array.from(labels, (t) => (t >= 0 ? 1 : 0)),
        B,
        T,
      ) as never,
      [...model.params.values()],
    );
    expect(Math.abs((await value.data())[0]! - expected.loss)).toBeLessThan(1e-4);
    expect(Object.keys(grads)).toHaveLength(model.params.size);
    for (const [param, variable] of model.params) {
      const want = reference.read(`grad.${param}`);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(new Float32Array(await grads[variable.name]!.data()), want, { atol: 1e-3 * scale, rtol: 0 }, `grad of ${param}`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});
