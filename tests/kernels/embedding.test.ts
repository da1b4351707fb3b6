import { describe, expect, it } from 'vitest';
import {
  embeddingBackward,
  embeddingForward,
  embeddingGroupingTensors,
  groupTokens,
  uploadTokenGrouping,
} from '../../src/gpu/kernels/embedding.ts';
import { RowBlocks } from '../../src/gpu/rowBlocks.ts';
import * as ref from '../reference/embedding.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randInts, randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload, uploadU32 } from '../helpers/testGpu.ts';

const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);

// B·T = 2·7 rows, C = 37 channels, V = 53 ids: none a multiple of anything.
const N = 14;
const C = 37;
const V = 53;

describe('embedding', () => {
  it('groupTokens groups rows by id in CSR form, padded to N slots', () => {
    const g = groupTokens([5, 2, 5, 0, 2, 5], 7);
    expect(g.count).toBe(3);
    expect([...g.unique]).toEqual([0, 2, 5, 0, 0, 0]);
    expect([...g.offsets]).toEqual([0, 1, 3, 6, 6, 6, 6]);
    expect([...g.positions]).toEqual([3, 1, 4, 0, 2, 5]);
    const one = groupTokens([4, 4, 4], 5);
    expect(one.count).toBe(1);
    expect([...one.offsets]).toEqual([0, 3, 3, 3]);
    expect([...one.positions]).toEqual([0, 1, 2]);
    expect(() => groupTokens([1, 7], 7)).toThrow(RangeError);
    expect(() => groupTokens([-1], 7)).toThrow(RangeError);
    expect(() => groupTokens([1.5], 7)).toThrow(RangeError);
  });

  it('forward gathers rows of wte, an id ≥ V giving zeros', async () => {
    const gpu = await testGpu();
    const tokens = randInts(N, V, 1);
    tokens[3] = tokens[9] = V - 1; // repeated ids, and the last row of wte
    const wte = randn(V * C, 2);
    const expected = ref.embeddingForward(tokens, wte, N, C);
    const out = gpu.tensor([N, C], 'out');
    const [got] = await runAndRead(
      gpu,
      embeddingForward(gpu, out, uploadU32(gpu, [N], tokens), upload(gpu, [V, C], wte), N, C, V),
      out,
    );
    expectClose(got!, expected.out, scaledTolerance(expected.out, 1e-5), 'out');

    const bad = Uint32Array.from(tokens);
    bad[0] = V;
    const [gotBad] = await runAndRead(
      gpu,
      embeddingForward(gpu, out, uploadU32(gpu, [N], bad), upload(gpu, [V, C], wte), N, C, V),
      out,
    );
    expect([...gotBad!.subarray(0, C)]).toEqual(new Array(C).fill(0));
    expectClose(gotBad!.subarray(C), expected.out.subarray(C), scaledTolerance(expected.out, 1e-5), 'out after the bad id');
  });

  it('backward scatter-adds repeated ids onto dwte, matching the reference and finite differences', async () => {
    const gpu = await testGpu();
    const tokens = randInts(N, 5, 3); // ids 0..4, each many times
    tokens[0] = V - 1;
    tokens[N - 1] = V - 1;
    const wte = randn(V * C, 4);
    const dout = randn(N * C, 5);
    const start = randn(V * C, 6); // dwte accumulates onto what is there
    const expected = ref.embeddingBackward(dout, tokens, N, C, V);
    const fd = numericalGradient((w) => dot(dout, ref.embeddingForward(tokens, w, N, C).out), wte);

    const grouping = embeddingGroupingTensors(gpu, N);
    uploadTokenGrouping(gpu, grouping, groupTokens(tokens, V));
    const dwte = upload(gpu, [V, C], start);
    const [got] = await runAndRead(gpu, embeddingBackward(gpu, dwte, upload(gpu, [N, C], dout), grouping, N, C, V), dwte);
    expectClose(minus(got!, start), expected.dwte, scaledTolerance(expected.dwte, 1e-5), 'dwte vs reference');
    expectClose(minus(got!, start), fd, scaledTolerance(fd, 1e-3), 'dwte vs finite differences');
    // Rows of ids that do not occur are untouched, bit for bit.
    const startF32 = Float32Array.from(start);
    for (let v = 0; v < V; v++) {
      const row = (a: Float32Array) => [...a.subarray(v * C, (v + 1) * C)];
      if (!tokens.includes(v)) expect(row(got!)).toEqual(row(startF32));
    }
  });

  it('one dispatch serves every step: the grouping is re-uploaded, dwte keeps accumulating', async () => {
    const gpu = await testGpu();
    const dout = randn(N * C, 7);
    const start = randn(V * C, 8);
    const grouping = embeddingGroupingTensors(gpu, N);
    const dwte = upload(gpu, [V, C], start);
    const backward = embeddingBackward(gpu, dwte, upload(gpu, [N, C], dout), grouping, N, C, V);

    const steps = [randInts(N, V, 9), new Uint32Array(N).fill(17)]; // the second: one id in every row
    const expected = Float64Array.from(start);
    for (const tokens of steps) {
      uploadTokenGrouping(gpu, grouping, groupTokens(tokens, V));
      gpu.run(backward);
      ref.embeddingBackward(dout, tokens, N, C, V).dwte.forEach((g, i) => (expected[i] += g));
    }
    const got = await gpu.readF32(dwte);
    expectClose(got, expected, scaledTolerance(expected, 1e-5), 'dwte after two steps');
  });

  // A table over the binding cap is stored as row blocks: 53 rows in blocks of 10 (the last 3).
  it('gathers from and scatter-adds into row blocks exactly as into the whole table', async () => {
    const gpu = await testGpu();
    const tokens = randInts(N, V, 10);
    tokens[0] = 9; // the last row of block 0
    tokens[1] = 10; // the first of block 1
    tokens[2] = V - 1; // in the last, short block
    tokens[3] = V; // past the table: zeros
    const wte = randn(V * C, 11);
    const dout = randn(N * C, 12);
    const start = randn(V * C, 13);
    const blocks = RowBlocks.allocate(gpu, V, C, 10, 'wte', Float32Array.from(wte));
    const dblocks = RowBlocks.allocate(gpu, V, C, 10, 'dwte', Float32Array.from(start));
    expect(blocks.blocks.map((b) => b.shape[0])).toEqual([10, 10, 10, 10, 10, 3]);
    const out = upload(gpu, [N, C], randn(N * C, 14, 100), 'out'); // garbage to overwrite
    const [got] = await runAndRead(gpu, embeddingForward(gpu, out, uploadU32(gpu, [N], tokens), blocks, N, C, V), out);
    const inTable = Uint32Array.from(tokens, (t) => Math.min(t, V - 1));
    const expected = ref.embeddingForward(inTable, wte, N, C).out;
    expected.fill(0, 3 * C, 4 * C);
    expect(Array.from(got!)).toEqual(Array.from(Float32Array.from(expected)));

    const valid = Uint32Array.from(tokens, (t) => Math.min(t, V - 1));
    const grouping = embeddingGroupingTensors(gpu, N);
    uploadTokenGrouping(gpu, grouping, groupTokens(valid, V));
    gpu.run(embeddingBackward(gpu, dblocks, upload(gpu, [N, C], dout), grouping, N, C, V));
    const gotD = await dblocks.download(gpu);
    const expectedD = ref.embeddingBackward(dout, valid, N, C, V).dwte.map((g, i) => g + start[i]!);
    expectClose(gotD, expectedD, scaledTolerance(expectedD, 1e-5), 'dwte in blocks');
    gpu.release(...blocks.blocks, ...dblocks.blocks, out);
  });
});
