// Kernel lab for the matmul family: numbered versions, each checked against the float64
// reference and timed against tf.matMul (tfjs-backend-webgpu) on the same device, interleaved.
// The winner lives in shaders/matmul.wgsl; versions 24+ run that file through its launcher.
//
//   npx tsx scripts/kernel-lab/matmul.ts                  finalists, 1024³ NN
//   npx tsx scripts/kernel-lab/matmul.ts 9 24 --size=512  chosen versions
//   npx tsx scripts/kernel-lab/matmul.ts all --size=512 --layout=NT --repeats=5 --no-tfjs
//   npx tsx scripts/kernel-lab/matmul.ts --matvec --size=2048   decode: matmulVec vs tiles, M = 1..8
//
// Versions 1-23 and 29-31 are NN-only experiments for shapes that are multiples of their tiles;
// 24-28 run shaders/matmul.wgsl in all layouts, 32-35 shaders/matmulTiled.wgsl (the candidates
// autotuned on GPUs: 64×64 or 128×64 blocks, K tiles of 16 or 32), all layouts and shapes. What was learned on SwiftShader (Dawn/Vulkan,
// the Subzero JIT, 4-wide SIMD lanes, a 2-core Xeon):
// - Barriers are the enemy: SwiftShader runs a workgroup's 4-lane SIMD groups as coroutines and
//   switches them at every barrier. Workgroup-memory tiling (6-8) loses to reading the storage
//   buffers directly (2-4, 9), which the CPU caches serve anyway. For the matrix-vector kernel
//   (barrier once, then a reduction) 64-invocation workgroups were 10× slower than 4 (--matvec).
// - Every load is a 4-lane gather, one per vector component, whatever its width, so what
//   counts is loads per FMA: an 8×8 register block per invocation (16 scalar loads per 64 FMA)
//   is the sweet spot; 4×4, 4×8 load too much, 16×8, 8×16, 12×8 spill registers (11-13, 22-23).
// - Staging A in workgroup memory to read it back at constant indices (one broadcast load
//   instead of a gather, 29-31) is 2× slower: the unrolled code and barriers cost more.
// - fma() is slower than a * b + c (19); k-steps of 1 and 4 are alike (9 vs 18); the order of
//   workgroups (rows or columns fastest) makes no difference; vec4 loads beat scalar ones by
//   ~30% (24 vs 28); workgroup shapes 4×1 … 8×8 are within noise at 1024³, 4×1 is best below.
// - NN and NT run alike; TN, strided in both operands, ~25% slower.
// - Two ways round the gathers, tried 2026-12-01 at 512³ NN in interleaved rounds (a training run
//   loading the machine) and not kept: A and B as rgba32float textures read with textureLoad (the
//   sampler fetches a whole texel per lane) ran at 0.8–1.3× v24; the 4 lanes of a subgroup loading
//   a quarter each of the 8 rows of A they share, then subgroupBroadcast, at 1.1–1.6× (mostly
//   ~1.1×). B's loads, one per lane and column, remain; neither is worth a kernel of its own.
//
// Measured 2026-11-27 on SwiftShader, 1024³ NN unless noted, tfjs ~0.3-0.5 GFLOPS alongside.
// The machine was shared (load 4-5 on 2 cores), so compare ratios measured in one run:
//   v1 naive 0.29 (512³) · v2 4×4 2.67 (512³) · v6 shared 32×32×32 1.15 (512³) · v7 shared 64×64×16 2.19 (512³)
//   v9 8×8 global, wg 4×1: 4.35 · v4 wg 4×4: 4.12 · v11 16×8: 2.56 · v13 8×16: 2.72 · v12 8×12: 1.87
//   loaded machine, one run: v9 2.21 · v24 2.27 (8.3× tfjs) · v26 2.33 · v28 scalar 1.77 · tfjs 0.27
//   v29-31 staged A (512³): 1.11 / 1.01 / 0.88 against v9 2.20
//   decode (N = K = 2048, ms, matmulVec / tiles): M=1 18.9 / 30.5, M=3 22.9 / 29.8, M=4 27.3 / 28.0
// 2026-12-01, machine loaded (load 12-17 on 2 cores), so only same-run ratios mean anything:
//   128³ NN: v24 2.37 GFLOPS · v32 tiled64x64k16 0.10 · v34 tiled128x64k16 0.22: on SwiftShader the
//   256-invocation workgroups with barriers lose by 10-20×, as v6-8 did, so SwiftShader keeps v24.
//   decode N = K = 2048, ms matmulVec / matmulVecSubgroup / tiles: M=1 23.5 / 21.6 / 60.6,
//   M=2 34.1 / 40.0 / 97.2, M=3 53.0 / 35.7 / 67.6, M=4 84.4 / 74.4 / 124.6: within the noise of
//   each other, so SwiftShader keeps matmulVec too.
import { createNodeGpu } from '../../src/gpu/node.ts';
import { f32, u32 } from '../../src/gpu/params.ts';
import type { Dispatch, Gpu, Tensor } from '../../src/gpu/gpu.ts';
import { matmulForward, matmulVec4Aligned, type MatmulKernel, type MatmulLayout } from '../../src/gpu/kernels/matmul.ts';
import { tfjsOnDevice } from '../../src/cli/benchKernels.ts';
import { matmulForward as refMatmul } from '../../tests/reference/matmul.ts';

// ---- experiments 1-23 and 29-31: WGSL generated here, NN only, Params {M, N, K}, bindings out, a, b ----
const HEADER = `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
`;

interface Version {
  id: number;
  note: string;
  wgsl: string;
  /** output rows, cols per workgroup */
  tile: [number, number];
  vec4: boolean;
}

function naive(): Version {
  return {
    id: 1, note: 'naive, thread per output', tile: [16, 16], vec4: false,
    wgsl: HEADER + `
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let col = g.x; let row = g.y;
  if (row >= p.M || col >= p.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) { s += A[row * p.K + k] * B[k * p.N + col]; }
  C[row * p.N + col] = s;
}`,
  };
}

/** register tile TM x (4V), straight from global memory, no barriers. */
function regGlobal(id: number, WX: number, WY: number, TM: number, V: number): Version {
  const L: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) L.push(`  var acc${r}_${v} = vec4f(0.0);`);
  const body: string[] = [];
  for (let r = 0; r < TM; r++) body.push(`    let a${r} = A4[(row0 + ${r}u) * K4 + k4];`);
  for (let kk = 0; kk < 4; kk++) for (let v = 0; v < V; v++) body.push(`    let b${kk}_${v} = B4[(k + ${kk}u) * N4 + c4 + ${v}u];`);
  const comp = ['x', 'y', 'z', 'w'];
  for (let r = 0; r < TM; r++)
    for (let v = 0; v < V; v++)
      body.push(`    acc${r}_${v} += ${[0, 1, 2, 3].map((kk) => `a${r}.${comp[kk]} * b${kk}_${v}`).join(' + ')};`);
  const store: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) store.push(`  C4[(row0 + ${r}u) * N4 + c4 + ${v}u] = acc${r}_${v};`);
  return {
    id, note: `register ${TM}x${4 * V} per thread, wg ${WX}x${WY}, global memory, no barriers`, tile: [WY * TM, WX * 4 * V], vec4: true,
    wgsl: HEADER + `
@group(0) @binding(1) var<storage, read_write> C4: array<vec4f>;
@group(0) @binding(2) var<storage, read> A4: array<vec4f>;
@group(0) @binding(3) var<storage, read> B4: array<vec4f>;
@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let K4 = p.K / 4u; let N4 = p.N / 4u;
  let row0 = (wid.y * ${WY}u + lid.y) * ${TM}u;
  let c4 = (wid.x * ${WX}u + lid.x) * ${V}u;
${L.join('\n')}
  for (var k = 0u; k < p.K; k += 4u) {
    let k4 = k / 4u;
${body.join('\n')}
  }
${store.join('\n')}
}`,
  };
}

/** shared-memory tiles: BM = WY*TM rows, BN = WX*4V cols, BK deep; vec4 everywhere. */
function regShared(id: number, WX: number, WY: number, TM: number, V: number, BK: number): Version {
  const BM = WY * TM, BN = WX * 4 * V;
  const T = WX * WY;
  const comp = ['x', 'y', 'z', 'w'];
  const L: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) L.push(`  var acc${r}_${v} = vec4f(0.0);`);
  // A tile: BM x BK floats = BM * BK/4 vec4, stored as As[m][k4]
  const aLoads = (BM * BK) / 4 / T, bLoads = (BK * BN) / 4 / T;
  const load: string[] = [];
  for (let i = 0; i < aLoads; i++) {
    load.push(`    { let idx = tid + ${i * T}u; let m = idx / ${BK / 4}u; let kq = idx % ${BK / 4}u; As[idx] = A4[(wrow + m) * K4 + k0 / 4u + kq]; }`);
  }
  for (let i = 0; i < bLoads; i++) {
    load.push(`    { let idx = tid + ${i * T}u; let kk = idx / ${BN / 4}u; let nq = idx % ${BN / 4}u; Bs[idx] = B4[(k0 + kk) * N4 + wcol4 + nq]; }`);
  }
  const inner: string[] = [];
  for (let r = 0; r < TM; r++) inner.push(`      let a${r} = As[(lid.y * ${TM}u + ${r}u) * ${BK / 4}u + kq];`);
  for (let kk = 0; kk < 4; kk++) for (let v = 0; v < V; v++) inner.push(`      let b${kk}_${v} = Bs[(kq * 4u + ${kk}u) * ${BN / 4}u + lid.x * ${V}u + ${v}u];`);
  for (let r = 0; r < TM; r++)
    for (let v = 0; v < V; v++)
      inner.push(`      acc${r}_${v} += ${[0, 1, 2, 3].map((kk) => `a${r}.${comp[kk]} * b${kk}_${v}`).join(' + ')};`);
  const store: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) store.push(`  C4[(wrow + lid.y * ${TM}u + ${r}u) * N4 + wcol4 + lid.x * ${V}u + ${v}u] = acc${r}_${v};`);
  return {
    id, note: `shared tiles ${BM}x${BN}x${BK}, register ${TM}x${4 * V}, wg ${WX}x${WY}`, tile: [BM, BN], vec4: true,
    wgsl: HEADER + `
@group(0) @binding(1) var<storage, read_write> C4: array<vec4f>;
@group(0) @binding(2) var<storage, read> A4: array<vec4f>;
@group(0) @binding(3) var<storage, read> B4: array<vec4f>;
var<workgroup> As: array<vec4f, ${(BM * BK) / 4}>;
var<workgroup> Bs: array<vec4f, ${(BK * BN) / 4}>;
@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let K4 = p.K / 4u; let N4 = p.N / 4u;
  let wrow = wid.y * ${BM}u;
  let wcol4 = wid.x * ${BN / 4}u;
${L.join('\n')}
  for (var k0 = 0u; k0 < p.K; k0 += ${BK}u) {
${load.join('\n')}
    workgroupBarrier();
    for (var kq = 0u; kq < ${BK / 4}u; kq++) {
${inner.join('\n')}
    }
    workgroupBarrier();
  }
${store.join('\n')}
}`,
  };
}

/** k-step 1: scalar A loads, vec4 B loads, acc += a_r * b_v. */
function regGlobalK1(id: number, WX: number, WY: number, TM: number, V: number, useFma = false): Version {
  const L: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) L.push(`  var acc${r}_${v} = vec4f(0.0);`);
  const body: string[] = [];
  for (let v = 0; v < V; v++) body.push(`    let b${v} = B4[k * N4 + c4 + ${v}u];`);
  for (let r = 0; r < TM; r++) body.push(`    let a${r} = A[(row0 + ${r}u) * p.K + k];`);
  for (let r = 0; r < TM; r++)
    for (let v = 0; v < V; v++)
      body.push(useFma ? `    acc${r}_${v} = fma(vec4f(a${r}), b${v}, acc${r}_${v});` : `    acc${r}_${v} += a${r} * b${v};`);
  const store: string[] = [];
  for (let r = 0; r < TM; r++) for (let v = 0; v < V; v++) store.push(`  C4[(row0 + ${r}u) * N4 + c4 + ${v}u] = acc${r}_${v};`);
  return {
    id, note: `register ${TM}x${4 * V} per thread, k-step 1${useFma ? ' fma' : ''}, wg ${WX}x${WY}, global memory`, tile: [WY * TM, WX * 4 * V], vec4: true,
    wgsl: HEADER + `
@group(0) @binding(1) var<storage, read_write> C4: array<vec4f>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B4: array<vec4f>;
@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let N4 = p.N / 4u;
  let row0 = (wid.y * ${WY}u + lid.y) * ${TM}u;
  let c4 = (wid.x * ${WX}u + lid.x) * ${V}u;
${L.join('\n')}
  for (var k = 0u; k < p.K; k++) {
${body.join('\n')}
  }
${store.join('\n')}
}`,
  };
}


/**
 * One 4-lane SIMD group per workgroup (wg 4×1, lanes across columns, all sharing 8 rows): the
 * A tile (8 rows × BK) is staged in workgroup memory and read back at constant indices (the
 * k loop inside a tile is unrolled), which SwiftShader turns into one scalar load broadcast
 * to the lanes instead of a 4-lane gather. Only B is gathered in the inner loop.
 */
function stagedA(id: number, BK: number): Version {
  const comp = ['x', 'y', 'z', 'w'];
  const L: string[] = [];
  for (let r = 0; r < 8; r++) for (let v = 0; v < 2; v++) L.push(`  var acc${r}_${v} = vec4f(0.0);`);
  const stage: string[] = [];
  // 8 rows × BK/4 vec4 = 2*BK vec4, 4 lanes: each lane loads BK/2 vec4
  for (let i = 0; i < (2 * BK) / 4; i++) {
    stage.push(`    { let idx = lid.x + ${i * 4}u; let r = idx / ${BK / 4}u; let q = idx % ${BK / 4}u; As[idx] = A4[(row0 + r) * K4 + k0 / 4u + q]; }`);
  }
  const inner: string[] = [];
  for (let kk = 0; kk < BK; kk++) {
    inner.push(`    { let kb = (k0 + ${kk}u) * N4 + c4;`);
    inner.push(`      let y0 = B4[kb]; let y1 = B4[kb + 1u];`);
    for (let r = 0; r < 8; r++) {
      inner.push(`      let x${r} = As[${r * (BK / 4) + (kk >> 2)}].${comp[kk & 3]}; acc${r}_0 += x${r} * y0; acc${r}_1 += x${r} * y1;`);
    }
    inner.push('    }');
  }
  const store: string[] = [];
  for (let r = 0; r < 8; r++) for (let v = 0; v < 2; v++) store.push(`  C4[(row0 + ${r}u) * N4 + c4 + ${v}u] = acc${r}_${v};`);
  return {
    id, note: `8x8 per thread, A staged in workgroup memory (BK ${BK}), constant-index reads, wg 4x1`, tile: [8, 32], vec4: true,
    wgsl: HEADER + `
@group(0) @binding(1) var<storage, read_write> C4: array<vec4f>;
@group(0) @binding(2) var<storage, read> A4: array<vec4f>;
@group(0) @binding(3) var<storage, read> B4: array<vec4f>;
var<workgroup> As: array<vec4f, ${2 * BK}>;
@compute @workgroup_size(4, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let K4 = p.K / 4u; let N4 = p.N / 4u;
  let row0 = wid.y * 8u;
  let c4 = (wid.x * 4u + lid.x) * 2u;
${L.join('\n')}
  for (var k0 = 0u; k0 < p.K; k0 += ${BK}u) {
${stage.join('\n')}
    workgroupBarrier();
${inner.join('\n')}
    workgroupBarrier();
  }
${store.join('\n')}
}`,
  };
}


interface LabVersion {
  id: number;
  note: string;
  layouts: readonly MatmulLayout[];
  /** Shapes this version computes correctly. */
  fits(M: number, N: number, K: number): boolean;
  build(gpu: Gpu, out: Tensor, a: Tensor, b: Tensor, M: number, N: number, K: number, layout: MatmulLayout): Dispatch;
}

function experiment(v: Version): LabVersion {
  let pipeline: GPUComputePipeline | null = null;
  return {
    id: v.id,
    note: v.note,
    layouts: ['NN'],
    fits: (M, N, K) => M % v.tile[0] === 0 && N % v.tile[1] === 0 && (!v.vec4 || K % 4 === 0),
    build(gpu, out, a, b, M, N, K) {
      pipeline ??= gpu.device.createComputePipeline({
        label: `lab v${v.id}`,
        layout: 'auto',
        compute: { module: gpu.device.createShaderModule({ label: `lab v${v.id}`, code: v.wgsl }), entryPoint: 'main' },
      });
      return gpu.dispatch(`lab v${v.id}`, pipeline, [out, a, b], [u32(M), u32(N), u32(K)], [
        Math.ceil(N / v.tile[1]),
        Math.ceil(M / v.tile[0]),
      ]);
    },
  };
}

/** shaders/matmul.wgsl's tiled entry points with a chosen workgroup shape (the launcher's: 4×1 on SwiftShader, 8×8 elsewhere). */
function production(id: number, note: string, entry: 'matmulForwardVec4' | 'matmulForward', wgX: number, wgY: number): LabVersion {
  return {
    id,
    note,
    layouts: ['NN', 'NT', 'TN'],
    fits: () => true,
    build(gpu, out, a, b, M, N, K, layout) {
      const pipeline = gpu.pipeline('matmul', entry, {
        LAYOUT: { NN: 0, NT: 1, TN: 2 }[layout],
        BIAS: 0,
        ACCUMULATE: 0,
        WG_X: wgX,
        WG_Y: wgY,
      });
      const bias = gpu.tensor([Math.max(4, N)], 'lab bias');
      return gpu.dispatch(`lab v${id}`, pipeline, [out, a, b, bias], [u32(M), u32(N), u32(K), f32(1)], [
        Math.ceil(N / (8 * wgX)),
        Math.ceil(M / (8 * wgY)),
      ]);
    },
  };
}

const VERSIONS: LabVersion[] = [
  naive(),
  regGlobal(2, 8, 8, 4, 1),
  regGlobal(3, 8, 8, 8, 2),
  regGlobal(4, 4, 4, 8, 2),
  regGlobal(5, 16, 4, 4, 1),
  regShared(6, 8, 8, 4, 1, 32),
  regShared(7, 8, 8, 8, 2, 16),
  regShared(8, 4, 4, 8, 2, 32),
  regGlobal(9, 4, 1, 8, 2),
  regGlobal(10, 8, 8, 4, 2),
  regGlobal(11, 4, 1, 16, 2),
  regGlobal(12, 4, 1, 8, 3),
  regGlobal(13, 4, 1, 8, 4),
  regGlobal(14, 4, 2, 8, 2),
  regGlobal(15, 8, 1, 8, 2),
  regGlobal(16, 4, 1, 4, 4),
  regGlobal(17, 2, 2, 8, 2),
  regGlobalK1(18, 4, 1, 8, 2),
  regGlobalK1(19, 4, 1, 8, 2, true),
  regGlobal(20, 4, 1, 4, 2),
  regGlobal(21, 4, 1, 8, 1),
  regGlobalK1(22, 4, 1, 12, 2),
  regGlobalK1(23, 4, 1, 16, 2),
].map(experiment);
const STAGED = [stagedA(29, 16), stagedA(30, 32), stagedA(31, 64)].map(experiment);
VERSIONS.push(
  {
    id: 24,
    note: 'shaders/matmul.wgsl via matmulForward (the launcher picks the kernel)',
    layouts: ['NN', 'NT', 'TN'],
    fits: () => true,
    build: (gpu, out, a, b, M, N, K, layout) => matmulForward(gpu, out, a, b, null, M, N, K, { layout }),
  },
  production(25, 'matmulForwardVec4, wg 4×1', 'matmulForwardVec4', 4, 1),
  production(26, 'matmulForwardVec4, wg 8×8', 'matmulForwardVec4', 8, 8),
  production(27, 'matmulForwardVec4, wg 8×2', 'matmulForwardVec4', 8, 2),
  production(28, 'matmulForward (scalar loads), wg 4×4', 'matmulForward', 4, 4),
);
VERSIONS.push(...STAGED);
// 32-35: shaders/matmulTiled.wgsl, the candidates for GPUs (workgroup-memory tiles, 256 invocations).
const tiledVersion = (id: number, kernel: MatmulKernel): LabVersion => ({
  id,
  note: `shaders/matmulTiled.wgsl ${kernel}`,
  layouts: ['NN', 'NT', 'TN'],
  fits: () => true,
  build: (gpu, out, a, b, M, N, K, layout) => matmulForward(gpu, out, a, b, null, M, N, K, { layout, kernel }),
});
VERSIONS.push(tiledVersion(32, 'tiled64x64k16'), tiledVersion(33, 'tiled64x64k32'), tiledVersion(34, 'tiled128x64k16'), tiledVersion(35, 'tiled128x64k32'));
for (const v of VERSIONS.slice(24, 28)) {
  const fits = v.fits;
  // vec4 entry points need the shape's multiples of 4
  if (v.note.startsWith('matmulForwardVec4')) v.fits = (M, N, K) => fits(M, N, K) && matmulVec4Aligned(M, N, K, 'NN');
}

const FINALISTS = [9, 24, 25, 26, 28];

// ---- harness ----
const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const size = Number(option('size', '1024'));
const layout = option('layout', 'NN') as MatmulLayout;
const repeats = Number(option('repeats', '3'));
const withTfjs = !argv.includes('--no-tfjs');
const ids = argv.includes('all') ? VERSIONS.map((v) => v.id) : argv.filter((x) => /^\d+$/.test(x)).map(Number);
const chosen = VERSIONS.filter((v) => (ids.length ? ids : FINALISTS).includes(v.id) && v.layouts.includes(layout));

function randomData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function operands(gpu: Gpu, M: number, N: number, K: number) {
  const aData = randomData(M * K, 1);
  const bData = randomData(K * N, 2);
  return {
    aData,
    bData,
    a: gpu.tensor(layout === 'TN' ? [K, M] : [M, K], 'lab a', aData),
    b: gpu.tensor(layout === 'NT' ? [N, K] : [K, N], 'lab b', bData),
    out: gpu.tensor([M, N], 'lab out'),
  };
}

const gpu = await createNodeGpu();

// Decode shapes x (M, K) · W (N, K)ᵀ: where does the matrix-vector kernel stop paying off?
if (argv.includes('--matvec')) {
  const [N, K] = [size, size];
  const x = gpu.tensor([8, K], 'lab x', randomData(8 * K, 3));
  const w = gpu.tensor([N, K], 'lab w', randomData(N * K, 4));
  const y = gpu.tensor([8, N], 'lab y');
  const tiles = VERSIONS.find((v) => v.id === 25)!;
  console.log(`decode NT, N = K = ${size}, median of ${repeats}: ms matmulVec / ms matmulVecSubgroup / ms matmulForwardVec4 (wg 4×1)`);
  for (let M = 1; M <= 8; M++) {
    const candidates = [tiles.build(gpu, y, x, w, M, N, K, 'NT')];
    if (M <= 4) {
      candidates.unshift(
        matmulForward(gpu, y, x, w, null, M, N, K, { layout: 'NT', kernel: 'matvec' }),
        matmulForward(gpu, y, x, w, null, M, N, K, { layout: 'NT', kernel: 'matvecSubgroup' }),
      );
    }
    const ms = [];
    for (const d of candidates) {
      await gpu.time([d]);
      const ts = [];
      for (let r = 0; r < repeats; r++) ts.push(await gpu.time([d]));
      ms.push((ts.sort((p, q) => p - q)[ts.length >> 1]! * 1e3).toFixed(2));
    }
    console.log(`  M=${M}: ${ms.length === 3 ? ms.join(' / ') : `- / - / ${ms[0]}`}`);
  }
  gpu.destroy();
  process.exit();
}

console.log(`${gpu.adapter.description || gpu.adapter.vendor}; layout ${layout}, ${size}³, median of ${repeats}`);

// 1. correctness: a tile-multiple shape for every version, a ragged one where the version takes it
for (const [M, N, K] of [
  [128, 128, 128],
  [65, 31, 129],
] as const) {
  const { aData, bData, a, b, out } = operands(gpu, M, N, K);
  const expected = refMatmul(aData, bData, null, M, N, K, layout);
  let scale = 0;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  for (const v of chosen) {
    if (!v.fits(M, N, K)) continue;
    gpu.run([v.build(gpu, out, a, b, M, N, K, layout)]);
    const got = await gpu.readF32(out);
    let err = 0;
    for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(got[i]! - expected[i]!));
    const ok = err <= 1e-5 * scale;
    console.log(`  v${v.id} ${M}×${N}×${K}: max error ${(err / scale).toExponential(1)} of max |C| ${ok ? 'ok' : 'WRONG'}`);
    if (!ok) process.exitCode = 1;
  }
  gpu.release(a, b, out);
}

// 2. speed, in rounds: every version once per round, then tfjs, so load hits all alike
const tf = withTfjs ? await tfjsOnDevice(gpu) : null;
const { aData, bData, a, b, out } = operands(gpu, size, size, size);
const timed = chosen.filter((v) => v.fits(size, size, size));
const dispatches = timed.map((v) => v.build(gpu, out, a, b, size, size, size, layout));
const ta = tf?.tensor2d(aData, layout === 'TN' ? [size, size] : [size, size]);
const tb = tf?.tensor2d(bData, [size, size]);
const runTfjs = async () => {
  const start = performance.now();
  const c = tf!.matMul(ta!, tb!, layout === 'TN', layout === 'NT');
  await c.data();
  c.dispose();
  return (performance.now() - start) / 1000;
};
const times: number[][] = timed.map(() => []);
const tfjsTimes: number[] = [];
for (let round = -1; round < repeats; round++) {
  for (let i = 0; i < timed.length; i++) {
    const t = await gpu.time([dispatches[i]!]);
    if (round >= 0) times[i]!.push(t);
  }
  if (tf) {
    const t = await runTfjs();
    if (round >= 0) tfjsTimes.push(t);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
const gflops = (t: number) => (2 * size ** 3) / t / 1e9;
const tfjsGflops = tf ? gflops(median(tfjsTimes)) : NaN;
console.log(`\n  ${'version'.padEnd(72)}      ms   GFLOPS  ×tfjs`);
for (let i = 0; i < timed.length; i++) {
  const t = median(times[i]!);
  const v = timed[i]!;
  console.log(
    `  ${`v${v.id} ${v.note}`.padEnd(72)}${(t * 1e3).toFixed(1).padStart(8)}${gflops(t).toFixed(2).padStart(9)}` +
      `${(gflops(t) / tfjsGflops).toFixed(1).padStart(7)}`,
  );
}
if (tf) {
  console.log(`  ${'tf.matMul (tfjs-backend-webgpu), wall clock to data()'.padEnd(72)}${(median(tfjsTimes) * 1e3).toFixed(1).padStart(8)}${tfjsGflops.toFixed(2).padStart(9)}`);
}
gpu.destroy();
process.exit();
