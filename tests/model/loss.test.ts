import { describe, expect, it } from 'vitest';
import { RowBlocks } from '../../src/gpu/rowBlocks.ts';
import { MaskedCrossEntropy } from '../../src/model/loss.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';

/** −log softmax(row)[target], in float64. */
function nll(row: number[], target: number): number {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
  return lse - row[target]!;
}

// With lm_head the identity (V = C), the head's logits are the hidden states themselves, so the
// loss reads the rows below as logits, and ∂loss/∂x is ∂loss/∂logits.
const identity = (V: number) => Array.from({ length: V * V }, (_, i) => (i % (V + 1) === 0 ? 1 : 0));

describe('MaskedCrossEntropy', () => {
  const N = 4;
  const V = 5;
  const logits = [
    [0.1, 2, -1, 0.5, 0],
    [1, 1, 1, 1, 1],
    [-2, 0.3, 3, 0, 1],
    [0.7, -0.4, 0.2, 2.5, -1],
  ];
  const targets = [1, 4, 2, 0];

  it('is the mean of the counted rows under a 0/1 mask, and the weighted mean under weights', async () => {
    const gpu = await testGpu();
    const loss = new MaskedCrossEntropy(gpu, N, V, V, V);
    const x = upload(gpu, [N, V], logits.flat());
    const W = RowBlocks.whole(upload(gpu, [V, V], identity(V)));
    const each = logits.map((row, n) => nll(row, targets[n]!));
    for (const mask of [[1, 0, 1, 1], [0, 1, 10, 2]]) {
      const counted = loss.setBatch(targets, mask);
      gpu.run(loss.forward(x, W));
      const total = mask.reduce((a, m) => a + m, 0);
      const expected = each.reduce((a, l, n) => a + (mask[n]! * l) / total, 0);
      expect(counted).toBe(mask.filter((m) => m > 0).length);
      expect(await loss.read()).toBeCloseTo(expected, 5);
    }
    gpu.release(x, W.blocks[0]!);
    loss.release();
  });

  it('backward gives each row its weight times (softmax − onehot), and lm_head dlogitsᵀ · x added on', async () => {
    const gpu = await testGpu();
    const loss = new MaskedCrossEntropy(gpu, N, V, V, V);
    const x = upload(gpu, [N, V], logits.flat());
    const W = RowBlocks.whole(upload(gpu, [V, V], identity(V)));
    const dx = upload(gpu, [N, V], Array(N * V).fill(7), 'dx'); // overwritten
    const dW = RowBlocks.whole(upload(gpu, [V, V], Array(V * V).fill(1), 'dW')); // added onto
    const mask = [0, 1, 10, 2];
    loss.setBatch(targets, mask, 0.5);
    const [grad, gradW] = await runAndRead(gpu, [...loss.forward(x, W), ...loss.backward(dx, dW, x, W)], dx, dW.blocks[0]!);
    const total = 13;
    const dlogits = logits.map((row, n) => {
      const max = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
      return row.map((v, i) => ((0.5 * mask[n]!) / total) * (Math.exp(v - max) / z - (i === targets[n] ? 1 : 0)));
    });
    dlogits.forEach((row, n) => row.forEach((g, i) => expect(grad![n * V + i]).toBeCloseTo(g, 6)));
    for (let v = 0; v < V; v++) {
      for (let c = 0; c < V; c++) {
        const expected = 1 + dlogits.reduce((a, row, n) => a + row[v]! * logits[n]![c]!, 0);
        expect(gradW![v * V + c]).toBeCloseTo(expected, 6);
      }
    }
    gpu.release(x, W.blocks[0]!, dx, dW.blocks[0]!);
    loss.release();
  });

  it('refuses a negative or non-finite weight', async () => {
    const gpu = await testGpu();
    const loss = new MaskedCrossEntropy(gpu, N, V, V, V);
    expect(() => loss.setBatch(targets, [1, -1, 1, 1])).toThrow(/mask 1 is -1/);
    expect(() => loss.setBatch(targets, [1, 1, Number.NaN, 1])).toThrow(/mask 2 is NaN/);
    loss.release();
  });
});
