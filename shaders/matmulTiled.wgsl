// Matrix multiply on workgroup-memory tiles, for GPUs: out (M, N) = alpha · op(a) · op(b) (+ bias),
// or += (accumulate), f32 accumulation. Layouts (LAYOUT override) as shaders/matmul.wgsl, row-major:
//   0 NN: a (M, K), b (K, N)    1 NT: a (M, K), b (N, K)    2 TN: a (K, M), b (K, N)
// bias (N), added when hasBias.
//
// matmulTiled, matmulTiledVec4: a workgroup of 16×16 = 256 invocations owns a BM × BN block of out,
// BM = 16·TM rows (TM = 4 or 8, an override), BN = 64 columns: 64×64 or 128×64. Invocation
// (x, y) owns rows m0 + y·TM .. + TM − 1 and columns n0 + 4x .. 4x + 3, TM × 4 outputs held in TM
// vec4 registers. K is walked in tiles of BK (16 or 32, an override): the workgroup stages the
// BM × BK tile of op(a) and the BK × BN tile of op(b) in workgroup memory, k-major (As[k][m],
// Bs[k][n]) as vec4s, so per k an invocation reads TM / 4 vec4 of As (the same addresses across
// its row of 16 invocations: a broadcast) and one vec4 of Bs (16 consecutive vec4 across the row),
// for 4·TM multiply-adds. The k-major rows are padded by 4 floats, so the transposing stores of
// the loads (a's rows in NN and NT, b's rows in NT) spread over the banks instead of hitting one.
// Two barriers per K tile. Out-of-range rows, columns and k are staged as zeros and never stored.
// matmulTiled loads op(a) and op(b) one float at a time and takes any shape; matmulTiledVec4
// loads vec4s along each operand's contiguous dimension, which must be a multiple of 4 (a: K for
// NN and NT, M for TN; b: N for NN and TN, K for NT), and stores vec4s, so it needs 4 | N too.
// Bias and accumulate are uniforms here, not overrides as in matmul.wgsl: the epilogue that reads
// them runs once per output, so the branch costs nothing measurable, and every pipeline fewer
// saves seconds of SwiftShader's compile time in the tests that run all these kernels.
// Writes: out = (or += with accumulate).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32,      // scales the product (LoRA's alpha / rank), not the bias or what is accumulated onto
  hasBias: u32,    // 1: add bias
  accumulate: u32, // 1: out += instead of out =
}

override LAYOUT: u32 = 0u;
override TM: u32 = 4u;  // rows per invocation: 4 or 8
override BK: u32 = 16u; // K tile: 16 or 32
const WG: u32 = 16u;    // invocations per side of the workgroup
const BN: u32 = 64u;    // columns per workgroup: 16 invocations × 4
const MAX_TM: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;

// Tiles in workgroup memory, k-major, each k row padded by 4 floats (one vec4). These overrides
// follow from TM and BK (the launcher never sets them): WGSL sizes a workgroup array by an
// override's name, not by an expression.
override BM: u32 = WG * TM;
override AS_ROW: u32 = BM / 4u + 1u;  // vec4 per k row of As
override AS_LEN: u32 = AS_ROW * BK;
const BS_ROW: u32 = BN / 4u + 1u;     // vec4 per k row of Bs
override BS_LEN: u32 = BS_ROW * BK;
var<workgroup> As: array<vec4f, AS_LEN>;
var<workgroup> Bs: array<vec4f, BS_LEN>;

fn setA(k: u32, m: u32, v: f32) { As[k * AS_ROW + m / 4u][m % 4u] = v; }
fn setB(k: u32, n: u32, v: f32) { Bs[k * BS_ROW + n / 4u][n % 4u] = v; }

// acc[r] += the product of this K tile, for the invocation's TM rows and 4 columns.
fn multiplyTile(acc: ptr<function, array<vec4f, MAX_TM>>, lid: vec3u) {
  for (var k = 0u; k < BK; k++) {
    let y = Bs[k * BS_ROW + lid.x];
    for (var i = 0u; i < TM / 4u; i++) {
      let x = As[k * AS_ROW + lid.y * (TM / 4u) + i];
      (*acc)[4u * i] += x.x * y;
      (*acc)[4u * i + 1u] += x.y * y;
      (*acc)[4u * i + 2u] += x.z * y;
      (*acc)[4u * i + 3u] += x.w * y;
    }
  }
}

// ---- scalar loads: any shape ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// op(a)[m, k] and op(b)[k, n], 0 outside the matrices.
fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  return select(a[m * p.K + k], a[k * p.M + m], LAYOUT == 2u);
}
fn loadB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  return select(b[k * p.N + n], b[n * p.K + k], LAYOUT == 1u);
}

@compute @workgroup_size(WG, WG)
fn matmulTiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
               @builtin(local_invocation_index) tid: u32) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  var acc: array<vec4f, MAX_TM>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Consecutive invocations walk each operand's contiguous dimension, so global reads coalesce.
    for (var i = tid; i < BM * BK; i += WG * WG) {
      if (LAYOUT == 2u) {
        let k = i / BM; let m = i % BM;
        setA(k, m, loadA(m0 + m, k0 + k));
      } else {
        let m = i / BK; let k = i % BK;
        setA(k, m, loadA(m0 + m, k0 + k));
      }
    }
    for (var i = tid; i < BK * BN; i += WG * WG) {
      if (LAYOUT == 1u) {
        let n = i / BK; let k = i % BK;
        setB(k, n, loadB(k0 + k, n0 + n));
      } else {
        let k = i / BN; let n = i % BN;
        setB(k, n, loadB(k0 + k, n0 + n));
      }
    }
    workgroupBarrier();
    multiplyTile(&acc, lid);
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid.y * TM + r;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + 4u * lid.x + j;
      if (n < p.N) {
        var v = p.alpha * acc[r][j];
        if (p.hasBias != 0u) { v += bias[n]; }
        if (p.accumulate != 0u) { v += out[m * p.N + n]; }
        out[m * p.N + n] = v;
      }
    }
  }
}

// ---- vec4 loads and stores: 4 | N, and 4 | K (NN, NT) or 4 | M (TN) ----
@group(0) @binding(1) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;
@group(0) @binding(3) var<storage, read> b4: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4f>;

@compute @workgroup_size(WG, WG)
fn matmulTiledVec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                   @builtin(local_invocation_index) tid: u32) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let M4 = p.M / 4u;
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  var acc: array<vec4f, MAX_TM>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var i = tid; i < BM * BK / 4u; i += WG * WG) {
      if (LAYOUT == 2u) {
        // a (K, M): 4 consecutive rows of op(a) at one k, straight into As.
        let k = i / (BM / 4u); let q = i % (BM / 4u);
        let inside = k0 + k < p.K && m0 / 4u + q < M4;
        As[k * AS_ROW + q] = select(vec4f(0.0), a4[min((k0 + k) * M4 + m0 / 4u + q, arrayLength(&a4) - 1u)], inside);
      } else {
        // a (M, K): 4 consecutive k of one row, transposed into As.
        let m = i / (BK / 4u); let q = i % (BK / 4u);
        let inside = m0 + m < p.M && k0 / 4u + q < K4;
        let v = select(vec4f(0.0), a4[min((m0 + m) * K4 + k0 / 4u + q, arrayLength(&a4) - 1u)], inside);
        setA(4u * q, m, v.x);
        setA(4u * q + 1u, m, v.y);
        setA(4u * q + 2u, m, v.z);
        setA(4u * q + 3u, m, v.w);
      }
    }
    for (var i = tid; i < BK * BN / 4u; i += WG * WG) {
      if (LAYOUT == 1u) {
        // b (N, K): 4 consecutive k of one column of op(b), transposed into Bs.
        let n = i / (BK / 4u); let q = i % (BK / 4u);
        let inside = n0 + n < p.N && k0 / 4u + q < K4;
        let v = select(vec4f(0.0), b4[min((n0 + n) * K4 + k0 / 4u + q, arrayLength(&b4) - 1u)], inside);
        setB(4u * q, n, v.x);
        setB(4u * q + 1u, n, v.y);
        setB(4u * q + 2u, n, v.z);
        setB(4u * q + 3u, n, v.w);
      } else {
        // b (K, N): 4 consecutive columns at one k, straight into Bs.
        let k = i / (BN / 4u); let q = i % (BN / 4u);
        let inside = k0 + k < p.K && n0 / 4u + q < N4;
        Bs[k * BS_ROW + q] = select(vec4f(0.0), b4[min((k0 + k) * N4 + n0 / 4u + q, arrayLength(&b4) - 1u)], inside);
      }
    }
    workgroupBarrier();
    multiplyTile(&acc, lid);
    workgroupBarrier();
  }
  let q = n0 / 4u + lid.x;
  if (q >= N4) { return; }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid.y * TM + r;
    if (m >= p.M) { break; }
    var v = p.alpha * acc[r];
    if (p.hasBias != 0u) { v += bias4[q]; }
    if (p.accumulate != 0u) { v += out4[m * N4 + q]; }
    out4[m * N4 + q] = v;
  }
}
