// Launchers for shaders/matmul.wgsl: out (M, N) = alpha · op(a) · op(b) (+ bias (N)), row-major.
// Layouts: NN a (M, K), b (K, N); NT a (M, K), b (N, K); TN a (K, M), b (K, N).
//
// A linear layer y = x · Wᵀ + bias with HF weights W (out, in), x (T, in), y (T, out):
//   forward   matmulForward(gpu, y, x, W, bias, T, out, in, { layout: 'NT' })
//   backward  matmulForward(gpu, dx, dy, W, null, T, in, out, { layout: 'NN', accumulate: true })  dx += dy · W
//             matmulForward(gpu, dW, dy, x, null, out, in, T, { layout: 'TN', accumulate: true })  dW += dyᵀ · x
//             matmulBiasBackward(gpu, dbias, dy, T, out)                                           dbias += Σ_t dy[t]
import { f32, u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

export type MatmulLayout = 'NN' | 'NT' | 'TN';

export interface MatmulOptions {
  /** Default 'NN'. */
  layout?: MatmulLayout;
  /** out += op(a) · op(b) (+ bias) instead of out =. Default false. */
  accumulate?: boolean;
  /** Multiplies the product (not the bias): LoRA's alpha / rank. Default 1. */
  alpha?: number;
  /** Workgroup shapes tuned for a CPU adapter or a GPU; default: matmulTuning(gpu). */
  tuning?: MatmulTuning;
}

/**
 * 'cpu' for SwiftShader: it runs a workgroup's 4-lane SIMD groups one after another, as
 * coroutines switched at every barrier, so small workgroups win (4 invocations: ~10× faster
 * matrix-vector products than 64). 'gpu' everywhere else: 64-invocation workgroups.
 */
export type MatmulTuning = 'cpu' | 'gpu';

export function matmulTuning(gpu: Gpu): MatmulTuning {
  return gpu.adapter.architecture === 'swiftshader' || /swiftshader/i.test(gpu.adapter.description) ? 'cpu' : 'gpu';
}

const LAYOUT_CODE: Record<MatmulLayout, number> = { NN: 0, NT: 1, TN: 2 };
/** Outputs per invocation along each side (matmul.wgsl), and invocations per workgroup. */
const TILE = 8;
const WORKGROUPS: Record<MatmulTuning, { x: number; y: number; mv: number }> = {
  cpu: { x: 4, y: 1, mv: 4 },
  gpu: { x: 8, y: 8, mv: 64 },
};
/** matmulVec: at most this many rows of a, outputs per workgroup. */
export const MATVEC_MAX_M = 4;
const MV_OUT = 4;
const MAX_WORKGROUPS_PER_DIM = 65535;

/** Which entry point matmulForward picks for a shape; exported for tests and benchmarks. */
export function matmulKernel(M: number, N: number, K: number, layout: MatmulLayout): 'matmulVec' | 'matmulForwardVec4' | 'matmulForward' {
  if (layout === 'NT' && M <= MATVEC_MAX_M && K % 4 === 0) return 'matmulVec';
  const vec4 = N % 4 === 0 && (layout === 'TN' ? M % 4 === 0 : K % 4 === 0);
  return vec4 ? 'matmulForwardVec4' : 'matmulForward';
}

// Every entry point binds bias (layout 'auto' sees the variable whatever BIAS is): without one,
// a 4-float placeholder per device stands in and is never read.
const noBias = new WeakMap<Gpu, Tensor>();
function biasOrPlaceholder(gpu: Gpu, bias: Tensor | null): Tensor {
  if (bias) return bias;
  let t = noBias.get(gpu);
  if (!t) {
    t = gpu.tensor([4], 'matmul no bias', new Float32Array(4));
    noBias.set(gpu, t);
  }
  return t;
}

function checkSize(t: Tensor, elements: number, what: string): void {
  if (t.size < elements) throw new RangeError(`matmul: ${what} ${t.label} holds ${t.size} values, needs ${elements}`);
}

/** out = op(a) · op(b) (+ bias); the kernel (matrix-vector, vec4 or scalar tiles) follows the shape. */
export function matmulForward(
  gpu: Gpu,
  out: Tensor, // (M, N) = or +=
  a: Tensor, // (M, K), or (K, M) for TN
  b: Tensor, // (K, N), or (N, K) for NT
  bias: Tensor | null, // (N)
  M: number,
  N: number,
  K: number,
  { layout = 'NN', accumulate = false, alpha = 1, tuning = matmulTuning(gpu) }: MatmulOptions = {},
): Dispatch {
  if (M < 1 || N < 1 || K < 1) throw new RangeError(`matmul: empty shape ${M}×${N}×${K}`);
  checkSize(out, M * N, 'out');
  checkSize(a, M * K, 'a');
  checkSize(b, K * N, 'b');
  if (bias) checkSize(bias, N, 'bias');
  const entry = matmulKernel(M, N, K, layout);
  const buffers = [out, a, b, biasOrPlaceholder(gpu, bias)];
  const params = [u32(M), u32(N), u32(K), f32(alpha)];
  const flags = { BIAS: bias ? 1 : 0, ACCUMULATE: accumulate ? 1 : 0 };
  const label = `${entry} ${layout} ${M}x${N}x${K}`;
  const wg = WORKGROUPS[tuning];
  if (entry === 'matmulVec') {
    const pipeline = gpu.pipeline('matmul', entry, { ...flags, MV_M: M, MV_WG: wg.mv });
    return { ...gpu.dispatch(label, pipeline, buffers, params, grid1d(N, MV_OUT)), flops: 2 * M * N * K };
  }
  const x = Math.ceil(N / (TILE * wg.x));
  const y = Math.ceil(M / (TILE * wg.y));
  if (x > MAX_WORKGROUPS_PER_DIM || y > MAX_WORKGROUPS_PER_DIM) {
    throw new RangeError(`matmul: ${M}×${N} needs ${x}×${y} workgroups, over ${MAX_WORKGROUPS_PER_DIM} per side`);
  }
  const pipeline = gpu.pipeline('matmul', entry, { ...flags, LAYOUT: LAYOUT_CODE[layout], WG_X: wg.x, WG_Y: wg.y });
  return { ...gpu.dispatch(label, pipeline, buffers, params, [x, y]), flops: 2 * M * N * K };
}

/** dbias += Σ_m dout[m, :], the bias gradient of out = op(a) · op(b) + bias. */
export function matmulBiasBackward(
  gpu: Gpu,
  dbias: Tensor, // (N) +=
  dout: Tensor, // (M, N)
  M: number,
  N: number,
): Dispatch {
  checkSize(dbias, N, 'dbias');
  checkSize(dout, M * N, 'dout');
  return gpu.dispatch(
    'matmulBiasBackward',
    gpu.pipeline('matmul', 'matmulBiasBackward'),
    [dbias, dout],
    [u32(M), u32(N), u32(0), f32(1)],
    grid1d(N, 64),
  );
}
