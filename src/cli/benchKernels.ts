// `lab bench kernels`: our kernels against TensorFlow.js's WebGPU backend running on the same
// device in the same process. Both are timed the same way, by wall clock from submitting the
// work until the queue is idle (no read-back). Each pair is warmed up once, then timed in
// alternation (ours, tfjs, ours, ...) so that load from other processes hits both alike, and
// the median of the repeats is kept.
import type { Gpu } from '../gpu/gpu.ts';
import { attentionBackward, attentionForward } from '../gpu/kernels/attention.ts';
import { matmulForward, type MatmulLayout } from '../gpu/kernels/matmul.ts';

export interface MatmulBenchRow {
  m: number;
  n: number;
  k: number;
  layout: MatmulLayout;
  gflops: number;
  tfjs_gflops: number;
  /** gflops / tfjs_gflops */
  ratio: number;
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
 * One matmul shape, ours against tf.matMul with the transpose flags of `layout`. Returns the
 * median seconds of each; both see the same data.
 */
export async function timeMatmulPair(
  gpu: Gpu,
  M: number,
  N: number,
  K: number,
  layout: MatmulLayout,
  repeats: number,
): Promise<{ ours: number; tfjs: number }> {
  const tf = await tfjsOnDevice(gpu);
  const aShape = layout === 'TN' ? [K, M] : [M, K];
  const bShape = layout === 'NT' ? [N, K] : [K, N];
  const aData = randomData(M * K, 1);
  const bData = randomData(K * N, 2);
  const a = gpu.tensor(aShape, 'bench a', aData);
  const b = gpu.tensor(bShape, 'bench b', bData);
  const out = gpu.tensor([M, N], 'bench out');
  const dispatch = matmulForward(gpu, out, a, b, null, M, N, K, { layout });
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
  const runOurs = () =>
    wallClock(gpu, () => {
      gpu.run([dispatch]);
      return () => {};
    });
  try {
    await runOurs();
    await runTfjs();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      ours.push(await runOurs());
      theirs.push(await runTfjs());
    }
    return { ours: median(ours), tfjs: median(theirs) };
  } finally {
    ta.dispose();
    tb.dispose();
    gpu.release(a, b, out);
  }
}

export async function benchKernels(gpu: Gpu, options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const { sizes = [256, 512, 1024], layouts = ['NN', 'NT', 'TN'], repeats = 3 } = options;
  const matmul: MatmulBenchRow[] = [];
  for (const s of sizes) {
    for (const layout of layouts) {
      const { ours, tfjs } = await timeMatmulPair(gpu, s, s, s, layout, repeats);
      const flop = 2 * s * s * s;
      const gflops = flop / ours / 1e9;
      const tfjsGflops = flop / tfjs / 1e9;
      matmul.push({ m: s, n: s, k: s, layout, gflops, tfjs_gflops: tfjsGflops, ratio: gflops / tfjsGflops });
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
