// Matrix multiply: out (M, N) = alpha · op(a) · op(b) (+ bias), or += with ACCUMULATE, f32 accumulation.
// Layouts (LAYOUT override), all row-major:
//   0 NN: a (M, K), b (K, N)   e.g. dx = dout · W
//   1 NT: a (M, K), b (N, K)   a linear layer x · Wᵀ with HF weights W (out, in)
//   2 TN: a (K, M), b (K, N)   e.g. dW += doutᵀ · x
// bias (N), added when BIAS; dbias (N).
//
// matmulForward, matmulForwardVec4: no workgroup memory and no barriers. Each invocation owns an
// 8×8 block of out (rows m0..m0+7, columns n0..n0+7) in 16 vec4 registers and streams its 8 rows
// of op(a) and 8 columns of op(b) over K straight from the storage buffers, which the caches
// share between neighbouring invocations. On SwiftShader (4-wide SIMD, barriers switch coroutines)
// this beats workgroup-memory tiling by about 2× (scripts/kernel-lab/matmul.ts). Rows and columns
// past the edge are clamped onto the last one, so the loop needs no bounds checks; their results
// are never stored. matmulForwardVec4 reads vec4s and needs 4 | N and 4 | K (NN, NT) or
// 4 | M (TN, and 4 | N); matmulForward reads scalars and takes any shape.
// matmulVec: the matrix-vector product of decode, NT with M ≤ 4 (MV_M rows, a compile-time
// constant) and 4 | K: a workgroup of MV_WG invocations (64; 4 on SwiftShader, where every
// 4 lanes of a workgroup are a coroutine to switch at the barrier) owns 4 outputs, its
// invocations stride over K, and after one barrier each of the 4·MV_M outputs sums MV_WG partials.
// matmulBiasBackward: one invocation per column, looping over the M rows (no atomics).
// Writes: out = (or += with ACCUMULATE); accumulates: dbias +=.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32, // scales the product (LoRA's alpha / rank), not the bias or what is accumulated onto
}

override LAYOUT: u32 = 0u;
override BIAS: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 8u;  // invocations per workgroup; the launcher sets 4×1 for SwiftShader
override WG_Y: u32 = 8u;
const TILE: u32 = 8u;  // each invocation computes TILE × TILE outputs

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward, scalar loads: any shape ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

#include "matmulStore"

@compute @workgroup_size(WG_X, WG_Y)
fn matmulForward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = (wid.y * WG_Y + lid.y) * TILE;
  let n0 = (wid.x * WG_X + lid.x) * TILE;
  if (m0 >= p.M || n0 >= p.N) { return; }
  // Element (m, k) of op(a) is a[m * sAm + k * sAk]; element (k, n) of op(b) is b[k * sBk + n * sBn].
  let sAm = select(p.K, 1u, LAYOUT == 2u);
  let sAk = select(1u, p.M, LAYOUT == 2u);
  let sBk = select(p.N, 1u, LAYOUT == 1u);
  let sBn = select(1u, p.K, LAYOUT == 1u);
  let a0 = min(m0, p.M - 1u) * sAm;
  let a1 = min(m0 + 1u, p.M - 1u) * sAm;
  let a2 = min(m0 + 2u, p.M - 1u) * sAm;
  let a3 = min(m0 + 3u, p.M - 1u) * sAm;
  let a4 = min(m0 + 4u, p.M - 1u) * sAm;
  let a5 = min(m0 + 5u, p.M - 1u) * sAm;
  let a6 = min(m0 + 6u, p.M - 1u) * sAm;
  let a7 = min(m0 + 7u, p.M - 1u) * sAm;
  let b0 = min(n0, p.N - 1u) * sBn;
  let b1 = min(n0 + 1u, p.N - 1u) * sBn;
  let b2 = min(n0 + 2u, p.N - 1u) * sBn;
  let b3 = min(n0 + 3u, p.N - 1u) * sBn;
  let b4 = min(n0 + 4u, p.N - 1u) * sBn;
  let b5 = min(n0 + 5u, p.N - 1u) * sBn;
  let b6 = min(n0 + 6u, p.N - 1u) * sBn;
  let b7 = min(n0 + 7u, p.N - 1u) * sBn;
  var c00 = vec4f(0.0);
  var c01 = vec4f(0.0);
  var c10 = vec4f(0.0);
  var c11 = vec4f(0.0);
  var c20 = vec4f(0.0);
  var c21 = vec4f(0.0);
  var c30 = vec4f(0.0);
  var c31 = vec4f(0.0);
  var c40 = vec4f(0.0);
  var c41 = vec4f(0.0);
  var c50 = vec4f(0.0);
  var c51 = vec4f(0.0);
  var c60 = vec4f(0.0);
  var c61 = vec4f(0.0);
  var c70 = vec4f(0.0);
  var c71 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let ka = k * sAk;
    let kb = k * sBk;
    let y0 = vec4f(b[kb + b0], b[kb + b1], b[kb + b2], b[kb + b3]);
    let y1 = vec4f(b[kb + b4], b[kb + b5], b[kb + b6], b[kb + b7]);
    let x0 = a[ka + a0];
    let x1 = a[ka + a1];
    let x2 = a[ka + a2];
    let x3 = a[ka + a3];
    let x4 = a[ka + a4];
    let x5 = a[ka + a5];
    let x6 = a[ka + a6];
    let x7 = a[ka + a7];
    c00 += x0 * y0;
    c01 += x0 * y1;
    c10 += x1 * y0;
    c11 += x1 * y1;
    c20 += x2 * y0;
    c21 += x2 * y1;
    c30 += x3 * y0;
    c31 += x3 * y1;
    c40 += x4 * y0;
    c41 += x4 * y1;
    c50 += x5 * y0;
    c51 += x5 * y1;
    c60 += x6 * y0;
    c61 += x6 * y1;
    c70 += x7 * y0;
    c71 += x7 * y1;
  }
  storeScalar(m0 + 0u, n0, c00);
  storeScalar(m0 + 0u, n0 + 4u, c01);
  storeScalar(m0 + 1u, n0, c10);
  storeScalar(m0 + 1u, n0 + 4u, c11);
  storeScalar(m0 + 2u, n0, c20);
  storeScalar(m0 + 2u, n0 + 4u, c21);
  storeScalar(m0 + 3u, n0, c30);
  storeScalar(m0 + 3u, n0 + 4u, c31);
  storeScalar(m0 + 4u, n0, c40);
  storeScalar(m0 + 4u, n0 + 4u, c41);
  storeScalar(m0 + 5u, n0, c50);
  storeScalar(m0 + 5u, n0 + 4u, c51);
  storeScalar(m0 + 6u, n0, c60);
  storeScalar(m0 + 6u, n0 + 4u, c61);
  storeScalar(m0 + 7u, n0, c70);
  storeScalar(m0 + 7u, n0 + 4u, c71);
}

// ---- forward, vec4 loads: 4 | N, and 4 | K (NN, NT) or 4 | M (TN) ----
@group(0) @binding(1) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;
@group(0) @binding(3) var<storage, read> b4: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4f>;

// Values 4i..4i+3 of b.
fn bV(i: u32) -> vec4f {
  return b4[i];
}

#include "matmulVec4"

// ---- matrix-vector (decode): NT, M = MV_M ≤ 4 rows of a, 4 | K ----
override MV_M: u32 = 1u;
override MV_WG: u32 = 64u;  // invocations per workgroup, splitting K between them
const MV_OUT: u32 = 4u;  // outputs (rows of b) per workgroup

@group(0) @binding(1) var<storage, read_write> outV: array<f32>;
@group(0) @binding(2) var<storage, read> xV: array<vec4f>;
@group(0) @binding(3) var<storage, read> wV: array<vec4f>;
@group(0) @binding(4) var<storage, read> biasV: array<f32>;

var<workgroup> mvPartial: array<vec4f, MV_WG * 4u>;  // MV_WG partial sums of MV_OUT outputs, per row of a

@compute @workgroup_size(MV_WG)
fn matmulVec(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_id) lid: vec3u) {
  let n0 = (wid.x + wid.y * nwg.x) * MV_OUT;
  if (n0 >= p.N) { return; }  // uniform per workgroup, so the barrier stays uniform
  let K4 = p.K / 4u;
  let w0 = n0 * K4;
  let w1 = min(n0 + 1u, p.N - 1u) * K4;
  let w2 = min(n0 + 2u, p.N - 1u) * K4;
  let w3 = min(n0 + 3u, p.N - 1u) * K4;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k4 = lid.x; k4 < K4; k4 += MV_WG) {
    let y0 = wV[w0 + k4];
    let y1 = wV[w1 + k4];
    let y2 = wV[w2 + k4];
    let y3 = wV[w3 + k4];
    let x0 = xV[k4];
    acc0 += vec4f(dot(x0, y0), dot(x0, y1), dot(x0, y2), dot(x0, y3));
    if (MV_M > 1u) {
      let x1 = xV[K4 + k4];
      acc1 += vec4f(dot(x1, y0), dot(x1, y1), dot(x1, y2), dot(x1, y3));
    }
    if (MV_M > 2u) {
      let x2 = xV[2u * K4 + k4];
      acc2 += vec4f(dot(x2, y0), dot(x2, y1), dot(x2, y2), dot(x2, y3));
    }
    if (MV_M > 3u) {
      let x3 = xV[3u * K4 + k4];
      acc3 += vec4f(dot(x3, y0), dot(x3, y1), dot(x3, y2), dot(x3, y3));
    }
  }
  mvPartial[lid.x] = acc0;
  mvPartial[MV_WG + lid.x] = acc1;
  mvPartial[2u * MV_WG + lid.x] = acc2;
  mvPartial[3u * MV_WG + lid.x] = acc3;
  workgroupBarrier();
  for (var t = lid.x; t < MV_M * MV_OUT; t += MV_WG) {
    let m = t / MV_OUT;
    let j = t % MV_OUT;
    let n = n0 + j;
    if (n < p.N) {
      var s = 0.0;
      for (var i = 0u; i < MV_WG; i++) { s += mvPartial[m * MV_WG + i][j]; }
      s *= p.alpha;
      if (BIAS) { s += biasV[n]; }
      if (ACCUMULATE) { s += outV[m * p.N + n]; }
      outV[m * p.N + n] = s;
    }
  }
}

// ---- bias backward: dbias[n] += sum_m dout[m, n] ----
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(2) var<storage, read> doutB: array<f32>;

@compute @workgroup_size(64)
fn matmulBiasBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_id) lid: vec3u) {
  let n = (wid.x + wid.y * nwg.x) * 64u + lid.x;
  if (n >= p.N) { return; }
  var sum = 0.0;
  for (var m = 0u; m < p.M; m++) { sum += doutB[m * p.N + n]; }
  dbias[n] += sum;
}
