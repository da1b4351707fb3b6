import { describe, expect, it } from 'vitest';
import { benchAttention, benchKernels } from '../../src/cli/benchKernels.ts';
import { chooseMatmulKernel, matmulCandidates, matmulTuning } from '../../src/gpu/kernels/matmul.ts';
import { testGpu } from '../helpers/testGpu.ts';

// Not a speed test: it checks that both sides of the comparison run and report sane numbers.
describe('kernel benchmark', () => {
  it('times our matmul and tf.matMul on the same device, and attention both ways', async () => {
    const gpu = await testGpu();
    const result = await benchKernels(gpu, { sizes: [32], layouts: ['NN', 'TN'], repeats: 1 });
    expect(result.matmul.map((r) => [r.m, r.n, r.k, r.layout])).toEqual([
      [32, 32, 32, 'NN'],
      [32, 32, 32, 'TN'],
    ]);
    for (const r of result.matmul) {
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.tfjs_gflops).toBeGreaterThan(0);
      expect(r.ratio).toBeCloseTo(r.gflops / r.tfjs_gflops, 6);
      // The kernel a run would use, tuned first; on a CPU adapter only that one is timed by default.
      expect(r.kernel).toBe(chooseMatmulKernel(gpu, 32, 32, 32, r.layout));
      if (matmulTuning(gpu) === 'cpu') expect(r.candidates).toEqual([{ kernel: r.kernel, gflops: r.gflops, ratio: r.ratio }]);
    }
    // --candidates times every kernel that can compute the shape, those a CPU adapter passes over too.
    const all = await benchKernels(gpu, { sizes: [20], layouts: ['NT'], repeats: 1, candidates: 'all' });
    expect(all.matmul[0]!.candidates.map((c) => c.kernel)).toEqual(matmulCandidates(gpu, 20, 20, 20, 'NT', 'gpu'));
    expect(all.matmul[0]!.candidates.map((c) => c.kernel)).toEqual(expect.arrayContaining(['register', 'registerScalar', 'tiled64x64k16']));
    for (const c of all.matmul[0]!.candidates) expect(c.gflops).toBeGreaterThan(0);
    const attention = await benchAttention(gpu, 1, 1, 16, 2, 1, 8);
    expect(attention.map((r) => r.direction)).toEqual(['forward', 'backward']);
    for (const r of attention) expect(r.ms).toBeGreaterThan(0);
  });
});

describe('model benchmark', () => {
  it('reports prefill, decode and training throughput, a matmul share between 0 and 1, and the TF.js step beside ours', async () => {
    const { benchModel } = await import('../../src/cli/benchModel.ts');
    const gpu = await testGpu();
    const r = await benchModel(gpu, { B: 1, T: 8, repeats: 1, decodeSteps: 2 });
    for (const value of [r.prefill_tokens_per_s, r.decode_tokens_per_s, r.train_tokens_per_s, r.matmul_gflops_in_step, r.matmul_gflops_alone]) {
      expect(value).toBeGreaterThan(0);
    }
    expect(r.matmul_share).toBeGreaterThan(0);
    expect(r.matmul_share).toBeLessThan(1.5); // timing noise aside, a part of the step
    expect(r.tfjs_train_step_s).toBeGreaterThan(0);
    expect(r.train_speedup_vs_tfjs).toBeCloseTo(r.tfjs_train_step_s / r.train_step_s, 6);
  });
});
