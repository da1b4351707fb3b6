// Launchers for shaders/matmul.wgsl, matmulTiled.wgsl, matmulSubgroup.wgsl and matmulPacked.wgsl: out (M, N) = alpha · op(a) · op(b) (+ bias (N)), row-major.
// b may be a frozen weight stored 16-bit (Tensor dtype 'f16' or 'bf16'): matmulPacked reads it.
// Layouts: NN a (M, K), b (K, N); NT a (M, K), b (N, K); TN a (K, M), b (K, N).
//
// A linear layer y = x · Wᵀ + bias with HF weights W (out, in), x (T, in), y (T, out):
//   forward   matmulForward(gpu, y, x, W, bias, T, out, in, { layout: 'NT' })
//   backward  matmulForward(gpu, dx, dy, W, null, T, in, out, { layout: 'NN', accumulate: true })  dx += dy · W
//             matmulForward(gpu, dW, dy, x, null, out, in, T, { layout: 'TN', accumulate: true })  dW += dyᵀ · x
//             matmulBiasBackward(gpu, dbias, dy, T, out)                                           dbias += Σ_t dy[t]
import { isCpuAdapter } from '../adapter.ts';
import { autotunePick, requestAutotune, type TuneJob } from '../autotune.ts';
import { f32, u32 } from '../params.ts';
import { grid1d, Tensor, type Dispatch, type Gpu } from '../gpu.ts';

export type MatmulLayout = 'NN' | 'NT' | 'TN';

/**
 * The matmul kernels, each a candidate of the choice below:
 * - 'register': shaders/matmul.wgsl's matmulForwardVec4 / matmulForward, 8×8 outputs per
 *   invocation streamed from storage, no workgroup memory (the SwiftShader winner);
 * - 'registerScalar': the same block with matmulForward's scalar loads where the shape would take
 *   vec4 ones: on lavapipe, which runs an invocation per SIMD lane, four times fewer registers
 *   live per lane (1024³ NN 1.6× faster than the vec4 loads; NT and TN slower);
 * - 'matvec': matmul.wgsl's matmulVec, decode's matrix-vector product (NT, M ≤ 4, 4 | K);
 * - 'matvecSubgroup': shaders/matmulSubgroup.wgsl, the same with subgroupAdd (`subgroups`);
 * - 'tiled<BM>x64k<BK>': shaders/matmulTiled.wgsl, 256 invocations on a BM × 64 block of out with
 *   K tiles of BK staged in workgroup memory (matmulTiledVec4 where the shape is 4-aligned);
 * - 'packed': shaders/matmulPacked.wgsl, the register kernel with b a packed 16-bit weight
 *   (its matmulForwardVec4 where the shape is 4-aligned), the only kernel that reads one (on every
 *   adapter: it needs no shader-f16).
 */
export type MatmulKernel = 'register' | 'registerScalar' | 'matvec' | 'matvecSubgroup' | 'tiled64x64k16' | 'tiled64x64k32' | 'tiled128x64k16' | 'tiled128x64k32' | 'packed';

const TILED: Record<string, { TM: number; BK: number }> = {
  tiled64x64k16: { TM: 4, BK: 16 },
  tiled64x64k32: { TM: 4, BK: 32 },
  tiled128x64k16: { TM: 8, BK: 16 },
  tiled128x64k32: { TM: 8, BK: 32 },
};

export interface MatmulOptions {
  /** Default 'NN'. */
  layout?: MatmulLayout;
  /** out += op(a) · op(b) (+ bias) instead of out =. Default false. */
  accumulate?: boolean;
  /** Multiplies the product (not the bias): LoRA's alpha / rank. Default 1. */
  alpha?: number;
  /**
   * A CPU adapter's or a GPU's way: the kernel choice (chooseMatmulKernel) and the workgroup
   * shapes of 'register' and 'matvec'. Default: matmulTuning(gpu); 'gpu' on SwiftShader runs the
   * GPU path there (tests).
   */
  tuning?: MatmulTuning;
  /** This kernel instead of chooseMatmulKernel's (tests, benchmarks, autotuning). */
  kernel?: MatmulKernel;
}

/**
 * 'cpu' for the CPU adapters (SwiftShader, lavapipe, WARP): the register kernels and matmulVec
 * only, since workgroup memory and barriers cost a CPU more than they save. 'gpu' everywhere
 * else: the kernel autotuned for the shape class.
 */
export type MatmulTuning = 'cpu' | 'gpu';

export function matmulTuning(gpu: Gpu): MatmulTuning {
  return isCpuAdapter(gpu.adapter) ? 'cpu' : 'gpu';
}

/**
 * Invocations per workgroup of the register kernels (x × y) and of matmulVec (mv). SwiftShader
 * runs a workgroup's 4-lane SIMD groups one after another, as coroutines switched at every
 * barrier, so small workgroups win there (4 invocations: ~10× faster matrix-vector products than
 * 64). lavapipe compiles a workgroup into loops over 8-lane AVX2 vectors, where 64 invocations
 * beat 4 for the vec4 loads (the TN products ~1.5× in `bench kernels`), as they do on GPUs, and
 * 16 beat 64 for the scalar ones (1024³ NN 1.7× in scripts/kernel-lab/matmul.ts), so
 * 'registerScalar' runs 4 × 4 everywhere.
 */
function registerWorkgroups(gpu: Gpu, tuning: MatmulTuning, kernel: MatmulKernel): { x: number; y: number; mv: number } {
  if (tuning === 'cpu' && gpu.adapter.kind === 'swiftshader') return { x: 4, y: 1, mv: 4 };
  return kernel === 'registerScalar' ? { x: 4, y: 4, mv: 64 } : { x: 8, y: 8, mv: 64 };
}

const LAYOUT_CODE: Record<MatmulLayout, number> = { NN: 0, NT: 1, TN: 2 };
/** Outputs per invocation along each side (matmul.wgsl), and invocations per workgroup. */
const TILE = 8;
/** matmulVec: at most this many rows of a, outputs per workgroup. */
export const MATVEC_MAX_M = 4;
const MV_OUT = 4;
const MAX_WORKGROUPS_PER_DIM = 65535;
/** Invocations of a matmulTiled workgroup, columns of out per workgroup. */
const TILED_INVOCATIONS = 256;
const TILED_BN = 64;

const isMatvecShape = (M: number, K: number, layout: MatmulLayout) => layout === 'NT' && M <= MATVEC_MAX_M && K % 4 === 0;

/** Whether the vec4 entry points take the shape: 4 | N, and 4 | K (NN, NT) or 4 | M (TN). */
export function matmulVec4Aligned(M: number, N: number, K: number, layout: MatmulLayout): boolean {
  return N % 4 === 0 && (layout === 'TN' ? M % 4 === 0 : K % 4 === 0);
}

/** The smallest subgroup of the adapter, where it says (matmulVecSubgroup's workgroup is one subgroup). */
function subgroupMinSize(gpu: Gpu): number | null {
  if (!gpu.device.features.has('subgroups')) return null;
  return gpu.device.adapterInfo?.subgroupMinSize ?? null;
}

/**
 * The kernels that can compute this shape on this device, the trusted 'register' first; with
 * tuning 'cpu' only those without workgroup memory or subgroup reductions.
 */
export function matmulCandidates(gpu: Gpu, M: number, N: number, K: number, layout: MatmulLayout, tuning: MatmulTuning = matmulTuning(gpu)): MatmulKernel[] {
  const out: MatmulKernel[] = ['register'];
  // Unaligned shapes take the scalar loads already.
  if (matmulVec4Aligned(M, N, K, layout)) out.push('registerScalar');
  if (isMatvecShape(M, K, layout)) {
    out.push('matvec');
    if (tuning === 'gpu' && subgroupMinSize(gpu) !== null) out.push('matvecSubgroup');
  }
  if (tuning === 'cpu') return out;
  const { limits } = gpu.device;
  for (const [id, { TM, BK }] of Object.entries(TILED)) {
    const sharedBytes = ((16 * TM) / 4 + 1) * BK * 16 + (TILED_BN / 4 + 1) * BK * 16;
    if (limits.maxComputeInvocationsPerWorkgroup >= TILED_INVOCATIONS && limits.maxComputeWorkgroupStorageSize >= sharedBytes) {
      out.push(id as MatmulKernel);
    }
  }
  return out;
}

/**
 * Shapes that share a pick: the layout, decode's matrix-vector shapes apart, then thin (fewer than
 * 64 rows or columns of out), small (under 256³ multiply-adds) or large, and 4-aligned or not.
 */
export function matmulShapeClass(M: number, N: number, K: number, layout: MatmulLayout): string {
  if (isMatvecShape(M, K, layout)) return `${layout} matvec`;
  const size = Math.min(M, N) < 64 ? 'thin' : M * N * K < 256 ** 3 ? 'small' : 'large';
  return `${layout} ${size} ${matmulVec4Aligned(M, N, K, layout) ? 'vec4' : 'scalar'}`;
}

/**
 * What a remembered pick is kept under: the shape class and the candidates it was picked among, so
 * a pick made before a kernel joined the candidates (a new lab build, a tuning of the other kind)
 * is not taken for a pick among them.
 */
export function matmulTuneClass(M: number, N: number, K: number, layout: MatmulLayout, candidates: readonly MatmulKernel[]): string {
  return `${matmulShapeClass(M, N, K, layout)} of ${candidates.join(' ')}`;
}

/**
 * The one place that decides which kernel computes a matmul. A CPU adapter (tuning 'cpu') keeps to
 * the register-tiled kernels (and matmulVec for decode): workgroup memory and barriers cost it
 * more than they save (scripts/kernel-lab/matmul.ts; on lavapipe `bench kernels --candidates`).
 * SwiftShader takes 'register' and matmulVec, its kernel lab's winners, untimed; every other
 * adapter uses the pick autotuned for the shape class among its candidates. Until one is
 * remembered, a tuning is asked for and a default serves: matmulVec (the subgroup one on a GPU
 * that has subgroups) for decode; on a CPU 'register'; on a GPU the register kernel for thin
 * shapes, tiles of 128×64 for large ones and 64×64 otherwise.
 */
export function chooseMatmulKernel(gpu: Gpu, M: number, N: number, K: number, layout: MatmulLayout, tuning: MatmulTuning = matmulTuning(gpu)): MatmulKernel {
  const matvec = isMatvecShape(M, K, layout);
  if (tuning === 'cpu' && gpu.adapter.kind === 'swiftshader') return matvec ? 'matvec' : 'register';
  const candidates = matmulCandidates(gpu, M, N, K, layout, tuning);
  const tuneClass = matmulTuneClass(M, N, K, layout, candidates);
  const pick = autotunePick(gpu, tuneClass) as MatmulKernel | undefined;
  if (pick && candidates.includes(pick)) return pick;
  requestAutotune(gpu, tuneClass, () => matmulTuneJob(gpu, M, N, K, layout, candidates));
  const fallback: MatmulKernel = matvec
    ? candidates.includes('matvecSubgroup') ? 'matvecSubgroup' : 'matvec'
    : tuning === 'cpu' || Math.min(M, N) < 64 ? 'register' : M * N * K >= 256 ** 3 ? 'tiled128x64k16' : 'tiled64x64k16';
  return candidates.includes(fallback) ? fallback : 'register';
}

/** The WGSL entry point that runs `kernel` on this shape. */
export function matmulEntry(kernel: MatmulKernel, M: number, N: number, K: number, layout: MatmulLayout): string {
  const vec4 = matmulVec4Aligned(M, N, K, layout);
  if (kernel === 'matvec') return 'matmulVec';
  if (kernel === 'matvecSubgroup') return 'matmulVecSubgroup';
  if (kernel === 'register') return vec4 ? 'matmulForwardVec4' : 'matmulForward';
  if (kernel === 'registerScalar') return 'matmulForward';
  if (kernel === 'packed') return vec4 ? 'matmulForwardVec4' : 'matmulPackedForward';
  return vec4 ? 'matmulTiledVec4' : 'matmulTiled';
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

function checkGrid(M: number, N: number, x: number, y: number): void {
  if (x > MAX_WORKGROUPS_PER_DIM || y > MAX_WORKGROUPS_PER_DIM) {
    throw new RangeError(`matmul: ${M}×${N} needs ${x}×${y} workgroups, over ${MAX_WORKGROUPS_PER_DIM} per side`);
  }
}

/** out = op(a) · op(b) (+ bias), by the kernel chooseMatmulKernel picks for this shape and device. */
export function matmulForward(
  gpu: Gpu,
  out: Tensor, // (M, N) = or +=
  a: Tensor, // (M, K), or (K, M) for TN
  b: Tensor, // (K, N), or (N, K) for NT
  bias: Tensor | null, // (N)
  M: number,
  N: number,
  K: number,
  { layout = 'NN', accumulate = false, alpha = 1, tuning = matmulTuning(gpu), kernel }: MatmulOptions = {},
): Dispatch {
  if (M < 1 || N < 1 || K < 1) throw new RangeError(`matmul: empty shape ${M}×${N}×${K}`);
  checkSize(out, M * N, 'out');
  checkSize(a, M * K, 'a');
  checkSize(b, K * N, 'b');
  if (bias) checkSize(bias, N, 'bias');
  for (const [t, what] of [[out, 'out'], [a, 'a'], [bias, 'bias']] as const) {
    if (t && t.dtype !== 'f32') throw new TypeError(`matmul: ${what} ${t.label} is packed ${t.dtype}; only b, a frozen weight, may be`);
  }
  // A 16-bit weight has one kernel; f32 operands go to the choice for the shape and device.
  const packed = b.dtype !== 'f32';
  if (packed !== (kernel === 'packed') && kernel !== undefined) {
    throw new TypeError(`matmul: kernel '${kernel}' does not take b ${b.label} stored as ${b.dtype}`);
  }
  const chosen = packed ? 'packed' : (kernel ?? chooseMatmulKernel(gpu, M, N, K, layout, tuning));
  if ((chosen === 'matvec' || chosen === 'matvecSubgroup') && !isMatvecShape(M, K, layout)) {
    throw new RangeError(`matmul: ${chosen} takes NT with M ≤ ${MATVEC_MAX_M} and 4 | K, not ${layout} ${M}×${N}×${K}`);
  }
  const entry = matmulEntry(chosen, M, N, K, layout);
  const buffers = [out, a, b, biasOrPlaceholder(gpu, bias)];
  const params = [u32(M), u32(N), u32(K), f32(alpha)];
  const flags = { BIAS: bias ? 1 : 0, ACCUMULATE: accumulate ? 1 : 0 };
  const label = `${entry} ${layout} ${M}x${N}x${K}`;
  const flops = 2 * M * N * K;
  const wg = registerWorkgroups(gpu, tuning, chosen);
  if (chosen === 'matvec') {
    const pipeline = gpu.pipeline('matmul', entry, { ...flags, MV_M: M, MV_WG: wg.mv });
    return { ...gpu.dispatch(label, pipeline, buffers, params, grid1d(N, MV_OUT)), flops };
  }
  if (chosen === 'matvecSubgroup') {
    const size = subgroupMinSize(gpu);
    if (size === null) throw new RangeError('matmul: matvecSubgroup needs an adapter with the subgroups feature that reports its subgroup sizes');
    const pipeline = gpu.pipeline('matmulSubgroup', entry, { ...flags, MV_M: M, MV_WG: Math.min(size, 64) });
    return { ...gpu.dispatch(label, pipeline, buffers, params, grid1d(N, MV_OUT)), flops };
  }
  if (chosen === 'register' || chosen === 'registerScalar' || chosen === 'packed') {
    const x = Math.ceil(N / (TILE * wg.x));
    const y = Math.ceil(M / (TILE * wg.y));
    checkGrid(M, N, x, y);
    const constants = { ...flags, LAYOUT: LAYOUT_CODE[layout], WG_X: wg.x, WG_Y: wg.y };
    const pipeline = chosen === 'packed' ? gpu.pipeline('matmulPacked', entry, { ...constants, BF16: b.dtype === 'bf16' ? 1 : 0 }) : gpu.pipeline('matmul', entry, constants);
    return { ...gpu.dispatch(chosen === 'packed' ? `${label} ${b.dtype}` : label, pipeline, buffers, params, [x, y]), flops };
  }
  const { TM, BK } = TILED[chosen]!;
  const x = Math.ceil(N / TILED_BN);
  const y = Math.ceil(M / (16 * TM));
  checkGrid(M, N, x, y);
  // Bias and accumulate are uniforms of matmulTiled.wgsl (see there), not constants.
  const pipeline = gpu.pipeline('matmulTiled', entry, { LAYOUT: LAYOUT_CODE[layout], TM, BK });
  const tiledParams = [...params, u32(flags.BIAS), u32(flags.ACCUMULATE)];
  return { ...gpu.dispatch(`${label} ${chosen}`, pipeline, buffers, tiledParams, [x, y]), flops };
}

/** Largest side of the operands an autotuning allocates: a class's timing needs no more. */
const TUNE_MAX_SIDE = 2048;

/**
 * A tuning of the class of (M, N, K, layout): random operands of that shape (each side capped at
 * 2048, its remainder mod 4 kept), every candidate bound to them and to one output, each checked
 * against 'register' within the forward kernels' tolerance (1e-4 of the largest |out|, for any K).
 * Its buffers are its own, destroyed at the end, not the pool's: the pool keeps what it is given
 * back, and a tuning's operands would stay there for the rest of a run.
 */
export function matmulTuneJob(gpu: Gpu, M: number, N: number, K: number, layout: MatmulLayout, candidates: readonly MatmulKernel[]): TuneJob {
  if (!candidates.includes('register')) throw new RangeError(`matmul autotune: the trusted kernel 'register' must be among the candidates (${candidates.join(', ')})`);
  const cap = (d: number) => (d <= TUNE_MAX_SIDE ? d : TUNE_MAX_SIDE + (d % 4));
  [M, N, K] = [cap(M), cap(N), cap(K)];
  const scratch = (shape: number[], label: string, seed?: number) => {
    const size = shape.reduce((x, y) => x * y, 1);
    const buffer = gpu.device.createBuffer({ label, size: size * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const t = new Tensor(buffer, shape, label);
    if (seed !== undefined) {
      let s = seed;
      gpu.write(t, Float32Array.from({ length: size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1)));
    }
    return t;
  };
  const a = scratch(layout === 'TN' ? [K, M] : [M, K], 'autotune a', 1);
  const b = scratch(layout === 'NT' ? [N, K] : [K, N], 'autotune b', 2);
  const out = scratch([M, N], 'autotune out');
  const jobCandidates = candidates.map((id) => ({ id, dispatch: matmulForward(gpu, out, a, b, null, M, N, K, { layout, kernel: id }) }));
  const run = async (id: string) => {
    gpu.run([jobCandidates.find((c) => c.id === id)!.dispatch], `autotune check ${id}`);
    return gpu.readF32(out);
  };
  let trusted: Float32Array | null = null;
  let tolerance = 0;
  return {
    candidates: jobCandidates,
    async check(id) {
      if (!trusted) {
        trusted = await run('register');
        tolerance = 1e-4 * trusted.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
      }
      const expected = trusted;
      const got = await run(id);
      return got.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
    },
    release() {
      for (const t of [a, b, out]) t.buffer.destroy();
    },
  };
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
