import { describe, expect, it } from 'vitest';
import {
  matmulBiasBackward,
  matmulForward,
  matmulKernel,
  matmulTuning,
  type MatmulLayout,
  type MatmulTuning,
} from '../../src/gpu/kernels/matmul.ts';
import * as ref from '../reference/matmul.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';

const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);
const relTol = (K: number) => (K > 4096 ? 1e-4 : 1e-5);

// [M, N, K]: none but the last are multiples of the 8×8 invocation tile or the 32×32 workgroup
// tile; 20×36×44 takes the vec4 path with a ragged edge; 128³ the vec4 path whole.
const SHAPES: Array<[number, number, number]> = [
  [1, 7, 5],
  [13, 67, 33],
  [65, 31, 129],
  [20, 36, 44],
  [128, 128, 128],
];
// Matrix-vector shapes (NT, M ≤ 4, 4 | K); N = 37 leaves a partial workgroup of 4 outputs.
const MATVEC_SHAPES: Array<[number, number, number]> = [
  [1, 37, 132],
  [3, 37, 64],
  [4, 20, 260],
];

describe('matmul forward', () => {
  // Every shape with and without bias and accumulate in the device's own tuning; a few in the
  // other tuning (workgroup shapes), with bias and accumulate on.
  const cases: Array<[MatmulLayout, number, number, number, 'own' | 'other']> = [];
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    for (const [M, N, K] of SHAPES) cases.push([layout, M, N, K, 'own']);
    for (const [M, N, K] of [SHAPES[2]!, SHAPES[3]!]) cases.push([layout, M, N, K, 'other']);
  }
  for (const [M, N, K] of MATVEC_SHAPES) cases.push(['NT', M, N, K, 'own'], ['NT', M, N, K, 'other']);

  for (const [layout, M, N, K, which] of cases) {
    const kernel = matmulKernel(M, N, K, layout);
    const combos = which === 'own' ? [false, true] : [true];
    it(`${layout} ${M}×${N}×${K} (${kernel}, ${which} tuning) matches the float64 reference`, async () => {
      const gpu = await testGpu();
      const own = matmulTuning(gpu);
      const tuning: MatmulTuning = which === 'own' ? own : own === 'cpu' ? 'gpu' : 'cpu';
      const a = randn(M * K, 1);
      const b = randn(K * N, 2);
      const bias = randn(N, 3);
      const start = randn(M * N, 4);
      const aT = upload(gpu, layout === 'TN' ? [K, M] : [M, K], a);
      const bT = upload(gpu, layout === 'NT' ? [N, K] : [K, N], b);
      const biasT = upload(gpu, [N], bias);
      for (const withBias of combos) {
        // With a bias, also a scaled product (LoRA's alpha / rank): alpha must not scale the bias.
        const alpha = withBias ? 0.625 : 1;
        const expected = ref.matmulForward(a, b, withBias ? bias : null, M, N, K, layout, alpha);
        const tol = scaledTolerance(expected, relTol(K));
        for (const accumulate of combos) {
          const out = upload(gpu, [M, N], start, 'out');
          const [got] = await runAndRead(
            gpu,
            [matmulForward(gpu, out, aT, bT, withBias ? biasT : null, M, N, K, { layout, accumulate, alpha, tuning })],
            out,
          );
          const what = `${layout} ${tuning} bias=${withBias} alpha=${alpha} accumulate=${accumulate}`;
          expectClose(accumulate ? minus(got!, start) : got!, expected, tol, what);
          gpu.release(out);
        }
      }
      gpu.release(aT, bT, biasT);
    });
  }

  it('picks the matrix-vector kernel for decode shapes and vec4 tiles where the shape allows', () => {
    expect(matmulKernel(1, 4096, 1024, 'NT')).toBe('matmulVec');
    expect(matmulKernel(4, 4096, 1024, 'NT')).toBe('matmulVec');
    expect(matmulKernel(5, 4096, 1024, 'NT')).toBe('matmulForwardVec4');
    expect(matmulKernel(1, 4096, 1022, 'NT')).toBe('matmulForward');
    expect(matmulKernel(1024, 1024, 1024, 'NN')).toBe('matmulForwardVec4');
    expect(matmulKernel(6, 1024, 1024, 'TN')).toBe('matmulForward');
    expect(matmulKernel(8, 1024, 1024, 'TN')).toBe('matmulForwardVec4');
  });
});

describe('matmul backward', () => {
  it('bias backward matches the reference and finite differences, accumulating', async () => {
    const gpu = await testGpu();
    const [M, N, K] = [7, 67, 5];
    const x = randn(M * K, 11);
    const w = randn(N * K, 12);
    const bias = randn(N, 13);
    const dout = randn(M * N, 14);
    const startB = randn(N, 15);
    const expected = ref.matmulBiasBackward(dout, M, N);
    const fd = numericalGradient((bb) => dot(dout, ref.matmulForward(x, w, bb, M, N, K, 'NT')), bias);
    const dbias = upload(gpu, [N], startB, 'dbias');
    const [got] = await runAndRead(gpu, [matmulBiasBackward(gpu, dbias, upload(gpu, [M, N], dout), M, N)], dbias);
    expectClose(minus(got!, startB), expected, scaledTolerance(expected, 1e-5), 'dbias vs reference');
    expectClose(minus(got!, startB), fd, scaledTolerance(fd, 1e-3), 'dbias vs finite differences');
  });

  // The launcher's recipe for a linear layer y = x·Wᵀ + bias: dx += dy·W (NN), dW += dyᵀ·x (TN).
  for (const [T, Nout, Nin] of [
    [3, 6, 5],
    [12, 8, 16],
  ] as const) {
    it(`linear layer backward via NN and TN matches finite differences (T=${T}, out=${Nout}, in=${Nin})`, async () => {
      const gpu = await testGpu();
      const x = randn(T * Nin, 21);
      const w = randn(Nout * Nin, 22);
      const dy = randn(T * Nout, 23);
      const startX = randn(T * Nin, 24);
      const startW = randn(Nout * Nin, 25);
      const fdX = numericalGradient((xx) => dot(dy, ref.matmulForward(xx, w, null, T, Nout, Nin, 'NT')), x);
      const fdW = numericalGradient((ww) => dot(dy, ref.matmulForward(x, ww, null, T, Nout, Nin, 'NT')), w);
      const refX = ref.matmulForward(dy, w, null, T, Nin, Nout, 'NN');
      const refW = ref.matmulForward(dy, x, null, Nout, Nin, T, 'TN');
      const dyT = upload(gpu, [T, Nout], dy);
      const dx = upload(gpu, [T, Nin], startX, 'dx');
      const dW = upload(gpu, [Nout, Nin], startW, 'dW');
      const [gotX, gotW] = await runAndRead(
        gpu,
        [
          matmulForward(gpu, dx, dyT, upload(gpu, [Nout, Nin], w), null, T, Nin, Nout, { layout: 'NN', accumulate: true }),
          matmulForward(gpu, dW, dyT, upload(gpu, [T, Nin], x), null, Nout, Nin, T, { layout: 'TN', accumulate: true }),
        ],
        dx,
        dW,
      );
      expectClose(minus(gotX!, startX), refX, scaledTolerance(refX, 1e-5), 'dx vs reference');
      expectClose(minus(gotW!, startW), refW, scaledTolerance(refW, 1e-5), 'dW vs reference');
      expectClose(minus(gotX!, startX), fdX, scaledTolerance(fdX, 1e-3), 'dx vs finite differences');
      expectClose(minus(gotW!, startW), fdW, scaledTolerance(fdW, 1e-3), 'dW vs finite differences');
    });
  }
});
