import { describe, expect, it } from 'vitest';
import { isCpuAdapter } from '../../src/gpu/adapter.ts';
import {
  chooseMatmulKernel,
  matmulBiasBackward,
  matmulCandidates,
  matmulEntry,
  matmulForward,
  matmulShapeClass,
  matmulTuning,
  matmulVec4Aligned,
  type MatmulKernel,
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

// [M, N, K]: none but 128³ are multiples of the register kernel's 8×8 invocation tile or 32×32
// workgroup tile, nor of the tiled kernels' 64×64 / 128×64 blocks and 16 / 32 K tiles.
// 20×36×44 and 133×68×40 take the vec4 entry points in NN and NT with ragged edges, 196×132×36
// in every layout (a partial K tile, a partial block of 128 rows and of 64 columns); 128³ takes
// them whole.
const SHAPES: Array<[number, number, number]> = [
  [1, 7, 5],
  [13, 67, 33],
  [65, 31, 129],
  [20, 36, 44],
  [133, 68, 40],
  [196, 132, 36],
  [128, 128, 128],
];
// Matrix-vector shapes (NT, M ≤ 4, 4 | K); N = 37 leaves a partial workgroup of 4 outputs.
const MATVEC_SHAPES: Array<[number, number, number]> = [
  [1, 37, 132],
  [3, 37, 64],
  [4, 20, 260],
];
const TILED: MatmulKernel[] = ['tiled64x64k16', 'tiled64x64k32', 'tiled128x64k16', 'tiled128x64k32'];

/** Runs one kernel on one shape with and without bias and accumulate, against the float64 reference. */
async function checkKernel(layout: MatmulLayout, M: number, N: number, K: number, kernel: MatmulKernel, combos: boolean[], tuning?: MatmulTuning) {
  const gpu = await testGpu();
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
        [matmulForward(gpu, out, aT, bT, withBias ? biasT : null, M, N, K, { layout, accumulate, alpha, tuning, kernel })],
        out,
      );
      const what = `${kernel} ${layout} ${tuning ?? ''} bias=${withBias} alpha=${alpha} accumulate=${accumulate}`;
      expectClose(accumulate ? minus(got!, start) : got!, expected, tol, what);
      gpu.release(out);
    }
  }
  gpu.release(aT, bT, biasT);
}

describe('matmul forward', () => {
  // The register kernel on every shape and layout, with and without bias and accumulate.
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    it(`register ${layout} matches the float64 reference on every shape, with and without bias and accumulate`, async () => {
      for (const [M, N, K] of SHAPES) await checkKernel(layout, M, N, K, 'register', [false, true]);
    });
    it(`registerScalar ${layout} matches the float64 reference on the 4-aligned shapes`, async () => {
      for (const [M, N, K] of SHAPES.filter(([M, N, K]) => matmulVec4Aligned(M, N, K, layout))) await checkKernel(layout, M, N, K, 'registerScalar', [true]);
    });
  }
  // The tiled kernels on the shapes that go past their blocks and K tiles (SwiftShader runs their
  // 256-invocation workgroups slowly: two ragged shapes, scalar and vec4 entry points, suffice).
  for (const kernel of TILED) {
    for (const layout of ['NN', 'NT', 'TN'] as const) {
      it(`${kernel} ${layout} matches the float64 reference on ragged shapes, with and without bias and accumulate`, async () => {
        for (const [M, N, K] of [SHAPES[1]!, SHAPES[5]!]) await checkKernel(layout, M, N, K, kernel, [false, true]);
        await checkKernel(layout, ...SHAPES[4]!, kernel, [true]);
      });
    }
  }
  // The register kernel's other workgroup shapes (the device's own are above), bias and accumulate on.
  it('register kernel in the other tuning matches the reference', async () => {
    const gpu = await testGpu();
    const other: MatmulTuning = matmulTuning(gpu) === 'cpu' ? 'gpu' : 'cpu';
    for (const layout of ['NN', 'NT', 'TN'] as const) {
      for (const [M, N, K] of [SHAPES[2]!, SHAPES[3]!]) await checkKernel(layout, M, N, K, 'register', [true], other);
    }
  });
  for (const kernel of ['register', 'matvec', 'matvecSubgroup'] as const) {
    it(`${kernel} on decode shapes (NT, M ≤ 4) matches the reference`, async () => {
      for (const [M, N, K] of MATVEC_SHAPES) {
        await checkKernel('NT', M, N, K, kernel, [false, true]);
        if (kernel === 'matvec') await checkKernel('NT', M, N, K, kernel, [true], 'gpu');
      }
    });
  }

  it('refuses the matrix-vector kernels for shapes they do not take', async () => {
    const gpu = await testGpu();
    const t = gpu.tensor([8 * 8], 'tiny');
    expect(() => matmulForward(gpu, t, t, t, null, 5, 8, 8, { layout: 'NT', kernel: 'matvec' })).toThrow(/NT with M ≤ 4/);
    expect(() => matmulForward(gpu, t, t, t, null, 2, 8, 8, { layout: 'NN', kernel: 'matvecSubgroup' })).toThrow(/NT with M ≤ 4/);
    gpu.release(t);
  });

  it('a CPU adapter keeps to the kernels without workgroup memory; SwiftShader to register and matmulVec', async () => {
    const gpu = await testGpu();
    expect(matmulTuning(gpu)).toBe(isCpuAdapter(gpu.adapter) ? 'cpu' : 'gpu');
    const cpuChoice = (M: number, N: number, K: number, layout: MatmulLayout) => chooseMatmulKernel(gpu, M, N, K, layout, 'cpu');
    for (const [M, N, K, layout] of [[1024, 1024, 1024, 'NN'], [1, 4096, 1024, 'NT'], [5, 4096, 1024, 'NT']] as const) {
      expect(matmulCandidates(gpu, M, N, K, layout, 'cpu')).toContain(cpuChoice(M, N, K, layout));
    }
    if (gpu.adapter.kind === 'swiftshader') {
      expect(cpuChoice(1024, 1024, 1024, 'NN')).toBe('register');
      expect(cpuChoice(1, 4096, 1024, 'NT')).toBe('matvec');
      expect(cpuChoice(5, 4096, 1024, 'NT')).toBe('register');
    }
    expect(matmulCandidates(gpu, 1024, 1024, 1024, 'NN', 'cpu')).toEqual(['register', 'registerScalar']);
    expect(matmulCandidates(gpu, 1024, 1022, 1024, 'NN', 'cpu')).toEqual(['register']);
    expect(matmulCandidates(gpu, 4, 1024, 1024, 'NT', 'cpu')).toEqual(['register', 'registerScalar', 'matvec']);
    expect(matmulCandidates(gpu, 1024, 1024, 1024, 'NN', 'gpu')).toEqual(['register', 'registerScalar', ...TILED]);
    // The subgroup kernel is a GPU candidate (and tested above) where the adapter reports subgroups.
    const subgroups = gpu.device.features.has('subgroups') && gpu.device.adapterInfo.subgroupMinSize > 0;
    expect(matmulCandidates(gpu, 4, 1024, 1024, 'NT', 'gpu')).toEqual(['register', 'registerScalar', 'matvec', ...(subgroups ? ['matvecSubgroup'] : []), ...TILED]);
  });

  it('maps kernels to entry points by shape, and shapes to classes', () => {
    expect(matmulEntry('matvec', 1, 4096, 1024, 'NT')).toBe('matmulVec');
    expect(matmulEntry('matvecSubgroup', 4, 4096, 1024, 'NT')).toBe('matmulVecSubgroup');
    expect(matmulEntry('register', 1, 4096, 1022, 'NT')).toBe('matmulForward');
    expect(matmulEntry('register', 1024, 1024, 1024, 'NN')).toBe('matmulForwardVec4');
    expect(matmulEntry('registerScalar', 1024, 1024, 1024, 'NN')).toBe('matmulForward');
    expect(matmulEntry('register', 6, 1024, 1024, 'TN')).toBe('matmulForward');
    expect(matmulEntry('register', 8, 1024, 1024, 'TN')).toBe('matmulForwardVec4');
    expect(matmulEntry('tiled128x64k16', 1024, 1024, 1024, 'NT')).toBe('matmulTiledVec4');
    expect(matmulEntry('tiled64x64k32', 1024, 1022, 1024, 'NN')).toBe('matmulTiled');
    expect(matmulShapeClass(2, 4096, 1024, 'NT')).toBe('NT matvec');
    expect(matmulShapeClass(2, 4096, 1024, 'NN')).toBe('NN thin vec4');
    expect(matmulShapeClass(256, 255, 256, 'TN')).toBe('TN small scalar');
    expect(matmulShapeClass(1024, 1024, 1024, 'NN')).toBe('NN large vec4');
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
