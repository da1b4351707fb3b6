// A frozen weight kept 16-bit (Tensor dtype 'f16' / 'bf16', two values per u32): matmulForward
// sends it to matmulPacked.wgsl and the embedding gather to embeddingForwardPacked. Each against
// the float64 reference on the weight's rounded values, every layout, odd and even sides (both
// the word-pair paths and the value-by-value one), a row view (a vocabulary chunk of lm_head)
// and row blocks. Pipelines are few (one per layout and dtype): SwiftShader compiles slowly.
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { narrowToHalves, widenHalves } from '../../src/gpu/halfFloats.ts';
import { embeddingForward } from '../../src/gpu/kernels/embedding.ts';
import { matmulForward, type MatmulLayout } from '../../src/gpu/kernels/matmul.ts';
import { RowBlocks } from '../../src/gpu/rowBlocks.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { randInts, randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload, uploadU32 } from '../helpers/testGpu.ts';
import * as refEmbedding from '../reference/embedding.ts';
import * as ref from '../reference/matmul.ts';

type Half = 'f16' | 'bf16';

/** `values` rounded to `dtype` on the GPU, and the float64 values it holds. */
function packed(gpu: Gpu, shape: number[], values: Float64Array, dtype: Half) {
  const halves = narrowToHalves(Float32Array.from(values), dtype);
  return { tensor: gpu.packedTensor(shape, `packed ${dtype}`, halves, dtype), rounded: Float64Array.from(widenHalves(halves, dtype)) };
}

// [M, N, K]: 4-aligned (matmulPackedVec4, every layout), even but not 4-aligned (NT and NN by
// word pairs), odd (value by value); none a multiple of the 8×8 block.
const SHAPES: Array<[number, number, number]> = [
  [20, 36, 44],
  [5, 6, 10],
  [13, 67, 33],
  [3, 5, 7],
];

describe.each(['bf16', 'f16'] as const)('matmul with a packed %s b', (dtype) => {
  for (const layout of ['NT', 'NN', 'TN'] as MatmulLayout[]) {
    it(`${layout}: matches the float64 reference on the rounded weight, odd and even sides`, async () => {
      const gpu = await testGpu();
      for (const [M, N, K] of SHAPES) {
        const a = randn(M * K, 1);
        const b = packed(gpu, layout === 'NT' ? [N, K] : [K, N], randn(K * N, 2), dtype);
        const aT = upload(gpu, layout === 'TN' ? [K, M] : [M, K], a);
        const out = upload(gpu, [M, N], new Float64Array(M * N));
        const expected = ref.matmulForward(a, b.rounded, null, M, N, K, layout);
        const dispatch = matmulForward(gpu, out, aT, b.tensor, null, M, N, K, { layout });
        expect(dispatch.label).toMatch(N % 4 === 0 && K % 4 === 0 ? /^matmulForwardVec4 .* (bf16|f16)$/ : /^matmulPackedForward /);
        const [got] = await runAndRead(gpu, [dispatch], out);
        expectClose(got!, expected, scaledTolerance(expected, 1e-5), `${layout} ${M}×${N}×${K} ${dtype}`);
        gpu.release(aT, b.tensor, out);
      }
    });
  }

  it('NT with bias, alpha and accumulate, from a row view of the weight (a vocabulary chunk)', async () => {
    const gpu = await testGpu();
    const [M, N, K, skip] = [9, 24, 64, 8];
    const a = randn(M * K, 3);
    const b = packed(gpu, [skip + N, K], randn((skip + N) * K, 4), dtype);
    const bias = randn(N, 5);
    const start = randn(M * N, 6);
    const [aT, biasT, out] = [upload(gpu, [M, K], a), upload(gpu, [N], bias), upload(gpu, [M, N], start)];
    // Rows skip.. of b: 8 rows of 64 values are 1 KiB, a bindable offset.
    const view = b.tensor.rows(skip, N);
    expect(view.byteOffset).toBe(skip * K * 2);
    const product = ref.matmulForward(a, b.rounded.subarray(skip * K), bias, M, N, K, 'NT', 0.5);
    const expected = product.map((v, i) => v + start[i]!);
    const [got] = await runAndRead(gpu, [matmulForward(gpu, out, aT, view, biasT, M, N, K, { layout: 'NT', alpha: 0.5, accumulate: true })], out);
    expectClose(got!, expected, scaledTolerance(expected, 1e-5), `NT view ${dtype}`);
    expect(() => matmulForward(gpu, out, b.tensor, b.tensor, null, M, N, K, { layout: 'NT' })).toThrow(/matmul: a packed .* is packed .*; only b, a frozen weight, may be/);
    expect(() => matmulForward(gpu, out, aT, view, null, M, N, K, { layout: 'NT', kernel: 'register' })).toThrow(/kernel 'register' does not take b/);
    const odd = gpu.packedTensor([3, 5], 'odd rows', new Uint16Array(15), dtype);
    expect(() => odd.rows(1, 1)).toThrow(/row 1 starts inside a packed word/);
    expect(odd.byteLength).toBe(32);
    gpu.release(aT, biasT, out, b.tensor, odd);
  });

  it('embedding gather from packed row blocks, an id past the table reading zeros', async () => {
    const gpu = await testGpu();
    const [V, C, N, perBlock] = [21, 7, 16, 8];
    const wte = randn(V * C, 7);
    const halves = narrowToHalves(Float32Array.from(wte), dtype);
    const rounded = Float64Array.from(widenHalves(halves, dtype));
    // Blocks of 8 rows of 7 values: 56 per block, the last block's 35 an odd count.
    const blocks = new RowBlocks(
      [0, 8, 16].map((first) => gpu.packedTensor([Math.min(perBlock, V - first), C], `wte ${first}`, halves.subarray(first * C, Math.min(V, first + perBlock) * C), dtype)),
      V,
      C,
      perBlock,
    );
    const tokens = Array.from(randInts(N, V, 8));
    tokens[3] = V + 2;
    const [tokT, out] = [uploadU32(gpu, [N], tokens), upload(gpu, [N, C], new Float64Array(N * C))];
    const expected = refEmbedding.embeddingForward(tokens.map((t) => (t < V ? t : 0)), rounded, N, C).out;
    expected.fill(0, 3 * C, 4 * C);
    const [got] = await runAndRead(gpu, embeddingForward(gpu, out, tokT, blocks, N, C, V), out);
    expectClose(got!, expected, { atol: 0, rtol: 0 }, `embedding ${dtype}`);
    expect(await gpu.readF32(blocks.blocks[2]!)).toEqual(Float32Array.from(rounded.subarray(16 * C)));
    gpu.release(tokT, out, ...blocks.blocks);
  });
});
