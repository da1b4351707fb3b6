// `lab bench kernels`: our kernels against TensorFlow.js's WebGPU backend running on the same
// device in the same process. Both are timed the same way, by wall clock from submitting the
// work until the queue is idle (no read-back). Each pair is warmed up once, then timed in
// alternation (ours, tfjs, ours, ...) so that load from other processes hits both alike, and
// the median of the repeats is kept.
import { autotuneSettled } from '../gpu/autotune.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { attentionBackward, attentionForward } from '../gpu/kernels/attention.ts';
import { chooseMatmulKernel, matmulCandidates, matmulForward, matmulTuning, type MatmulKernel, type MatmulLayout } from '../gpu/kernels/matmul.ts';

export interface MatmulBenchRow {
  m: number;
  n: number;
  k: number;
  layout: MatmulLayout;
  /** The kernel chooseMatmulKernel picks for this shape on this adapter, whose speed `gflops` is. */
  kernel: MatmulKernel;
  gflops: number;
  tfjs_gflops: number;
  /** gflops / tfjs_gflops */
  ratio: number;
  /** Every kernel timed (the chosen one among them), each beside tfjs. */
  candidates: Array<{ kernel: MatmulKernel; gflops: number; ratio: number }>;
}

export interface AttentionBenchRow {
  B: number;
  T: number;
  NH: number;
  NKV: number;
  hs: number;
  direction: 'forward' | 'backward';
  ms: number;
  /** Useful work only: the causal half of q·kᵀ and att·v (twice that for the backward's four products). */
  gflops: number;
}

export interface KernelBenchResult {
  matmul: MatmulBenchRow[];
  attention: AttentionBenchRow[];
}

export interface KernelBenchOptions {
  /** Square sizes m = n = k. Default 256, 512, 1024. */
  sizes?: number[];
  layouts?: MatmulLayout[];
  /** Timed runs per kernel after one warm-up; the median is reported. Default 3. */
  repeats?: number;
  /**
   * 'all' times every candidate kernel of each shape, 'chosen' only the one the lab picks.
   * Default 'all', but 'chosen' on SwiftShader, where the workgroup-memory kernels are slow
   * enough to make the run take many minutes.
   */
  candidates?: 'all' | 'chosen';
}

type Tf = typeof import('@tensorflow/tfjs-core');

const tfjsByGpu = new WeakMap<Gpu, Promise<Tf>>();

/**
 * TensorFlow.js (tfjs-core with tfjs-backend-webgpu) as the 'webgpu' backend on our device.
 * The backend package registers itself only where `navigator.gpu` exists and its constructor
 * checks for it again, though it uses nothing but the GPUDevice handed to it: on Node a
 * stand-in `navigator.gpu` is set (never called), and the package's own factory, which would
 * ask navigator.gpu for an adapter, is replaced by one that wraps `gpu.device`.
 */
export function tfjsOnDevice(gpu: Gpu): Promise<Tf> {
  let ready = tfjsByGpu.get(gpu);
  if (!ready) {
    ready = (async () => {
      const g = globalThis as { navigator?: { gpu?: unknown } };
      if (!g.navigator) {
        Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true, writable: true });
      } else if (!g.navigator.gpu) {
        Object.defineProperty(g.navigator, 'gpu', { value: {}, configurable: true, writable: true });
      }
      const tf = await import('@tensorflow/tfjs-core');
      const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => new WebGPUBackend(gpu.device, gpu.device.adapterInfo));
      if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend on our device');
      return tf;
    })();
    tfjsByGpu.set(gpu, ready);
  }
  return ready;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Seconds from submitting `submit`'s work until the device's queue is idle; then its cleanup. */
async function wallClock(gpu: Gpu, submit: () => () => void): Promise<number> {
  await gpu.sync();
  const start = performance.now();
  const cleanup = submit();
  await gpu.sync();
  const seconds = (performance.now() - start) / 1000;
  cleanup();
  return seconds;
}

function randomData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * One matmul shape: each of `kernels` against tf.matMul with the transpose flags of `layout`,
 * timed in rounds (every kernel, then tfjs). Returns the median seconds of each; all see the same data.
 */
export async function timeMatmulKernels(
  gpu: Gpu,
  M: number,
  N: number,
  K: number,
  layout: MatmulLayout,
  kernels: readonly MatmulKernel[],
  repeats: number,
): Promise<{ ours: Map<MatmulKernel, number>; tfjs: number }> {
  const tf = await tfjsOnDevice(gpu);
  const aShape = layout === 'TN' ? [K, M] : [M, K];
  const bShape = layout === 'NT' ? [N, K] : [K, N];
  const aData = randomData(M * K, 1);
  const bData = randomData(K * N, 2);
  const a = gpu.tensor(aShape, 'bench a', aData);
  const b = gpu.tensor(bShape, 'bench b', bData);
  const out = gpu.tensor([M, N], 'bench out');
  const dispatches = kernels.map((kernel) => matmulForward(gpu, out, a, b, null, M, N, K, { layout, kernel }));
  const ta = tf.tensor2d(aData, aShape as [number, number]);
  const tb = tf.tensor2d(bData, bShape as [number, number]);
  // tfjs records into an open compute pass until something flushes it: end the pass, submit.
  const backend = tf.backend() as unknown as { endComputePassEncoder(): void; submitQueue(): void };
  const runTfjs = () =>
    wallClock(gpu, () => {
      const c = tf.matMul(ta, tb, layout === 'TN', layout === 'NT');
      backend.endComputePassEncoder();
      backend.submitQueue();
      return () => c.dispose();
    });
  const runOurs = (i: number) =>
    wallClock(gpu, () => {
      gpu.run([dispatches[i]!]);
      return () => {};
    });
  try {
    const ours: number[][] = kernels.map(() => []);
    const theirs: number[] = [];
    for (let round = -1; round < repeats; round++) {
      for (let i = 0; i < kernels.length; i++) {
        const t = await runOurs(i);
        if (round >= 0) ours[i]!.push(t);
      }
      const t = await runTfjs();
      if (round >= 0) theirs.push(t);
    }
    return { ours: new Map(kernels.map((kernel, i) => [kernel, median(ours[i]!)])), tfjs: median(theirs) };
  } finally {
    ta.dispose();
    tb.dispose();
    gpu.release(a, b, out);
  }
}

export async function benchKernels(gpu: Gpu, options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const { sizes = [256, 512, 1024], layouts = ['NN', 'NT', 'TN'], repeats = 3 } = options;
  const which = options.candidates ?? (matmulTuning(gpu) === 'cpu' ? 'chosen' : 'all');
  // On a GPU the first look at a shape class starts its autotuning: let it end, so the kernel
  // reported as chosen is the one a run would use.
  for (const s of sizes) for (const layout of layouts) chooseMatmulKernel(gpu, s, s, s, layout);
  await autotuneSettled(gpu);
  const matmul: MatmulBenchRow[] = [];
  for (const s of sizes) {
    for (const layout of layouts) {
      const chosen = chooseMatmulKernel(gpu, s, s, s, layout);
      // 'all' includes the kernels a CPU adapter's tuning passes over, to show what they would do.
      const kernels = which === 'all' ? matmulCandidates(gpu, s, s, s, layout, 'gpu') : [chosen];
      const { ours, tfjs } = await timeMatmulKernels(gpu, s, s, s, layout, kernels, repeats);
      const flop = 2 * s * s * s;
      const tfjsGflops = flop / tfjs / 1e9;
      const candidates = kernels.map((kernel) => {
        const gflops = flop / ours.get(kernel)! / 1e9;
        return { kernel, gflops, ratio: gflops / tfjsGflops };
      });
      const picked = candidates.find((c) => c.kernel === chosen) ?? candidates[0]!;
      matmul.push({ m: s, n: s, k: s, layout, kernel: picked.kernel, gflops: picked.gflops, tfjs_gflops: tfjsGflops, ratio: picked.ratio, candidates });
    }
  }
  return { matmul, attention: await benchAttention(gpu, repeats) };
}

/** Causal GQA attention at the lab's training shape, forward and backward, timed like the matmuls. */
export async function benchAttention(gpu: Gpu, repeats: number, B = 1, T = 256, NH = 4, NKV = 2, hs = 64): Promise<AttentionBenchRow[]> {
  const q = gpu.tensor([B, T, NH, hs], 'bench q', randomData(B * T * NH * hs, 3));
  const k = gpu.tensor([B, T, NKV, hs], 'bench k', randomData(B * T * NKV * hs, 4));
  const v = gpu.tensor([B, T, NKV, hs], 'bench v', randomData(B * T * NKV * hs, 5));
  const dout = gpu.tensor([B, T, NH, hs], 'bench dout', randomData(B * T * NH * hs, 6));
  const out = gpu.tensor([B, T, NH, hs], 'bench out');
  const att = gpu.tensor([B, NH, T, T], 'bench att');
  const dq = gpu.tensor([B, T, NH, hs], 'bench dq');
  const dk = gpu.tensor([B, T, NKV, hs], 'bench dk');
  const dv = gpu.tensor([B, T, NKV, hs], 'bench dv');
  const dpreatt = gpu.tensor([B, NH, T, T], 'bench dpreatt');
  const forward = [attentionForward(gpu, out, att, q, k, v, B, T, NH, NKV, hs)];
  const backward = attentionBackward(gpu, dq, dk, dv, dpreatt, dout, q, k, v, att, B, T, NH, NKV, hs);
  const causalFlop = 2 * 2 * B * NH * ((T * (T + 1)) / 2) * hs;
  const rows: AttentionBenchRow[] = [];
  try {
    for (const [direction, dispatches, flop] of [
      ['forward', forward, causalFlop],
      ['backward', backward, 2 * causalFlop],
    ] as const) {
      const run = () =>
        wallClock(gpu, () => {
          gpu.run(dispatches);
          return () => {};
        });
      await run();
      const times: number[] = [];
      for (let r = 0; r < repeats; r++) times.push(await run());
      const seconds = median(times);
      rows.push({ B, T, NH, NKV, hs, direction, ms: seconds * 1000, gflops: flop / seconds / 1e9 });
    }
  } finally {
    gpu.release(q, k, v, dout, out, att, dq, dk, dv, dpreatt);
  }
  return rows;
}
