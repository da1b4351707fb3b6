// Matrix multiply with a frozen 16-bit weight as b: out (M, N) = alpha · op(a) · op(b) (+ bias),
// or += with ACCUMULATE; a, out and bias f32, b packed two values per u32 (lib/packed16.wgsl;
// BF16 picks bfloat16 over f16), f32 accumulation. Layouts as matmul.wgsl's (LAYOUT override):
//   0 NN: a (M, K), b (K, N)   dx = dy · W, the backward through a frozen linear layer
//   1 NT: a (M, K), b (N, K)   y = x · Wᵀ, a frozen linear layer's forward (and the LM head's)
//   2 TN: a (K, M), b (K, N)   (no frozen weight is read so; kept for a complete table)
// matmulPackedVec4: matmul.wgsl's matmulForwardVec4 (the same shapes: 4 | N, and 4 | K for NN
// and NT or 4 | M for TN), each vec4 of b two words unpacked; every real model's shapes.
// matmulPackedForward: any shape, matmul.wgsl's register kernel: each invocation owns an 8×8 block of out,
// streams its rows of op(a) and columns of op(b) over K from storage, no workgroup memory. Rows
// and columns past the edge are clamped onto the last one and never stored. Where one word holds
// two neighbouring values of the block (NT with even K: (k, k+1) of a row of b; NN with even N:
// columns (n, n+1)), each word is unpacked once; otherwise value by value.
// Writes: out = (or += with ACCUMULATE).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32, // scales the product (LoRA's alpha / rank), not the bias or what is accumulated onto
}

override LAYOUT: u32 = 1u;
override BIAS: bool = false;
override ACCUMULATE: bool = false;
override BF16: bool = false;
override WG_X: u32 = 8u;  // invocations per workgroup; the launcher sets 4×1 for SwiftShader
override WG_Y: u32 = 8u;
const TILE: u32 = 8u;  // each invocation computes TILE × TILE outputs

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

#include "packed16"

// Value i of b.
fn bAt(i: u32) -> f32 {
  let pair = unpackPair(b[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}

fn store(m: u32, n: u32, v: vec4f) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = n + j;
    if (col < p.N) {
      var r = p.alpha * v[j];
      if (BIAS) { r += bias[col]; }
      if (ACCUMULATE) { r += out[m * p.N + col]; }
      out[m * p.N + col] = r;
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmulPackedForward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = (wid.y * WG_Y + lid.y) * TILE;
  let n0 = (wid.x * WG_X + lid.x) * TILE;
  if (m0 >= p.M || n0 >= p.N) { return; }
  // Element (m, k) of op(a) is a[m * sAm + k * sAk]; element (k, n) of op(b) is b[k * sBk + n * sBn].
  let sAm = select(p.K, 1u, LAYOUT == 2u);
  let sAk = select(1u, p.M, LAYOUT == 2u);
  let sBk = select(p.N, 1u, LAYOUT == 1u);
  let sBn = select(1u, p.K, LAYOUT == 1u);
  var ra: array<u32, 8>;  // where the block's rows of op(a) start
  var rb: array<u32, 8>;  // where its columns of op(b) start
  for (var i = 0u; i < TILE; i++) {
    ra[i] = min(m0 + i, p.M - 1u) * sAm;
    rb[i] = min(n0 + i, p.N - 1u) * sBn;
  }
  var acc: array<vec4f, 16>;  // row i of the block: acc[2i] columns n0..n0+3, acc[2i+1] n0+4..n0+7
  if (LAYOUT == 1u && p.K % 2u == 0u) {
    // NT, even K: b's rows start on a word, and word (rb[j] + k) / 2 is (k, k+1) of row n0+j.
    for (var k = 0u; k < p.K; k += 2u) {
      var y: array<vec2f, 8>;
      for (var j = 0u; j < TILE; j++) { y[j] = unpackPair(b[(rb[j] + k) >> 1u]); }
      let lo0 = vec4f(y[0].x, y[1].x, y[2].x, y[3].x);
      let lo1 = vec4f(y[4].x, y[5].x, y[6].x, y[7].x);
      let hi0 = vec4f(y[0].y, y[1].y, y[2].y, y[3].y);
      let hi1 = vec4f(y[4].y, y[5].y, y[6].y, y[7].y);
      for (var i = 0u; i < TILE; i++) {
        let x0 = a[ra[i] + k];
        let x1 = a[ra[i] + k + 1u];
        acc[2u * i] += x0 * lo0 + x1 * hi0;
        acc[2u * i + 1u] += x0 * lo1 + x1 * hi1;
      }
    }
  } else if (LAYOUT == 0u && p.N % 2u == 0u) {
    // NN, even N: row k of b starts on a word and n0 is even, so 4 words hold columns n0..n0+7
    // (clamped to b's last word; columns past N are never stored).
    let lastWord = (p.K * p.N - 1u) >> 1u;
    for (var k = 0u; k < p.K; k++) {
      let w = (k * p.N + n0) >> 1u;
      let y01 = unpackPair(b[min(w, lastWord)]);
      let y23 = unpackPair(b[min(w + 1u, lastWord)]);
      let y45 = unpackPair(b[min(w + 2u, lastWord)]);
      let y67 = unpackPair(b[min(w + 3u, lastWord)]);
      let y0 = vec4f(y01, y23);
      let y1 = vec4f(y45, y67);
      for (var i = 0u; i < TILE; i++) {
        let x = a[ra[i] + k * sAk];
        acc[2u * i] += x * y0;
        acc[2u * i + 1u] += x * y1;
      }
    }
  } else {
    for (var k = 0u; k < p.K; k++) {
      let kb = k * sBk;
      let y0 = vec4f(bAt(kb + rb[0]), bAt(kb + rb[1]), bAt(kb + rb[2]), bAt(kb + rb[3]));
      let y1 = vec4f(bAt(kb + rb[4]), bAt(kb + rb[5]), bAt(kb + rb[6]), bAt(kb + rb[7]));
      for (var i = 0u; i < TILE; i++) {
        let x = a[ra[i] + k * sAk];
        acc[2u * i] += x * y0;
        acc[2u * i + 1u] += x * y1;
      }
    }
  }
  for (var i = 0u; i < TILE; i++) {
    store(m0 + i, n0, acc[2u * i]);
    store(m0 + i, n0 + 4u, acc[2u * i + 1u]);
  }
}

// ---- vec4 loads: 4 | N, and 4 | K (NN, NT) or 4 | M (TN): matmul.wgsl's matmulForwardVec4 with
// each vec4 of b four packed values, two words (bV) ----
@group(0) @binding(1) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;
@group(0) @binding(3) var<storage, read> b2: array<vec2u>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4f>;

// Values 4i..4i+3 of b.
fn bV(i: u32) -> vec4f {
  let w = b2[i];
  return vec4f(unpackPair(w.x), unpackPair(w.y));
}

// Stores the 4 outputs (m, 4q..4q+3) when m is a row and `inside` says 4q is a column.
fn storeVec4(m: u32, q: u32, inside: bool, v: vec4f) {
  if (m >= p.M || !inside) { return; }
  let i = m * (p.N / 4u) + q;
  var r = p.alpha * v;
  if (BIAS) { r += bias4[q]; }
  if (ACCUMULATE) { r += out4[i]; }
  out4[i] = r;
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmulPackedVec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = (wid.y * WG_Y + lid.y) * TILE;
  let n0 = (wid.x * WG_X + lid.x) * TILE;
  if (m0 >= p.M || n0 >= p.N) { return; }
  let M4 = p.M / 4u;
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let q0 = n0 / 4u;  // the two vec4 column groups of this block
  let q1 = min(q0 + 1u, N4 - 1u);
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
  if (LAYOUT == 0u) {
    // NN: 8 rows of a as vec4 along K, 4 rows of b as 2 vec4 along N, per 4 steps of K.
    let r0 = min(m0, p.M - 1u) * K4;
    let r1 = min(m0 + 1u, p.M - 1u) * K4;
    let r2 = min(m0 + 2u, p.M - 1u) * K4;
    let r3 = min(m0 + 3u, p.M - 1u) * K4;
    let r4 = min(m0 + 4u, p.M - 1u) * K4;
    let r5 = min(m0 + 5u, p.M - 1u) * K4;
    let r6 = min(m0 + 6u, p.M - 1u) * K4;
    let r7 = min(m0 + 7u, p.M - 1u) * K4;
    for (var k4 = 0u; k4 < K4; k4++) {
      let x0 = a4[r0 + k4];
      let x1 = a4[r1 + k4];
      let x2 = a4[r2 + k4];
      let x3 = a4[r3 + k4];
      let x4 = a4[r4 + k4];
      let x5 = a4[r5 + k4];
      let x6 = a4[r6 + k4];
      let x7 = a4[r7 + k4];
      let kb = k4 * 4u * N4;
      let y00 = bV(kb + q0);
      let y01 = bV(kb + q1);
      let y10 = bV(kb + N4 + q0);
      let y11 = bV(kb + N4 + q1);
      let y20 = bV(kb + 2u * N4 + q0);
      let y21 = bV(kb + 2u * N4 + q1);
      let y30 = bV(kb + 3u * N4 + q0);
      let y31 = bV(kb + 3u * N4 + q1);
      c00 += x0.x * y00 + x0.y * y10 + x0.z * y20 + x0.w * y30;
      c01 += x0.x * y01 + x0.y * y11 + x0.z * y21 + x0.w * y31;
      c10 += x1.x * y00 + x1.y * y10 + x1.z * y20 + x1.w * y30;
      c11 += x1.x * y01 + x1.y * y11 + x1.z * y21 + x1.w * y31;
      c20 += x2.x * y00 + x2.y * y10 + x2.z * y20 + x2.w * y30;
      c21 += x2.x * y01 + x2.y * y11 + x2.z * y21 + x2.w * y31;
      c30 += x3.x * y00 + x3.y * y10 + x3.z * y20 + x3.w * y30;
      c31 += x3.x * y01 + x3.y * y11 + x3.z * y21 + x3.w * y31;
      c40 += x4.x * y00 + x4.y * y10 + x4.z * y20 + x4.w * y30;
      c41 += x4.x * y01 + x4.y * y11 + x4.z * y21 + x4.w * y31;
      c50 += x5.x * y00 + x5.y * y10 + x5.z * y20 + x5.w * y30;
      c51 += x5.x * y01 + x5.y * y11 + x5.z * y21 + x5.w * y31;
      c60 += x6.x * y00 + x6.y * y10 + x6.z * y20 + x6.w * y30;
      c61 += x6.x * y01 + x6.y * y11 + x6.z * y21 + x6.w * y31;
      c70 += x7.x * y00 + x7.y * y10 + x7.z * y20 + x7.w * y30;
      c71 += x7.x * y01 + x7.y * y11 + x7.z * y21 + x7.w * y31;
    }
  } else if (LAYOUT == 1u) {
    // NT: 8 rows of a and 8 rows of b as vec4 along K; out[m, n] += dot(a row, b row).
    let r0 = min(m0, p.M - 1u) * K4;
    let r1 = min(m0 + 1u, p.M - 1u) * K4;
    let r2 = min(m0 + 2u, p.M - 1u) * K4;
    let r3 = min(m0 + 3u, p.M - 1u) * K4;
    let r4 = min(m0 + 4u, p.M - 1u) * K4;
    let r5 = min(m0 + 5u, p.M - 1u) * K4;
    let r6 = min(m0 + 6u, p.M - 1u) * K4;
    let r7 = min(m0 + 7u, p.M - 1u) * K4;
    let w0 = min(n0, p.N - 1u) * K4;
    let w1 = min(n0 + 1u, p.N - 1u) * K4;
    let w2 = min(n0 + 2u, p.N - 1u) * K4;
    let w3 = min(n0 + 3u, p.N - 1u) * K4;
    let w4 = min(n0 + 4u, p.N - 1u) * K4;
    let w5 = min(n0 + 5u, p.N - 1u) * K4;
    let w6 = min(n0 + 6u, p.N - 1u) * K4;
    let w7 = min(n0 + 7u, p.N - 1u) * K4;
    for (var k4 = 0u; k4 < K4; k4++) {
      let x0 = a4[r0 + k4];
      let x1 = a4[r1 + k4];
      let x2 = a4[r2 + k4];
      let x3 = a4[r3 + k4];
      let x4 = a4[r4 + k4];
      let x5 = a4[r5 + k4];
      let x6 = a4[r6 + k4];
      let x7 = a4[r7 + k4];
      let y0 = bV(w0 + k4);
      let y1 = bV(w1 + k4);
      let y2 = bV(w2 + k4);
      let y3 = bV(w3 + k4);
      let y4 = bV(w4 + k4);
      let y5 = bV(w5 + k4);
      let y6 = bV(w6 + k4);
      let y7 = bV(w7 + k4);
      c00 += vec4f(dot(x0, y0), dot(x0, y1), dot(x0, y2), dot(x0, y3));
      c01 += vec4f(dot(x0, y4), dot(x0, y5), dot(x0, y6), dot(x0, y7));
      c10 += vec4f(dot(x1, y0), dot(x1, y1), dot(x1, y2), dot(x1, y3));
      c11 += vec4f(dot(x1, y4), dot(x1, y5), dot(x1, y6), dot(x1, y7));
      c20 += vec4f(dot(x2, y0), dot(x2, y1), dot(x2, y2), dot(x2, y3));
      c21 += vec4f(dot(x2, y4), dot(x2, y5), dot(x2, y6), dot(x2, y7));
      c30 += vec4f(dot(x3, y0), dot(x3, y1), dot(x3, y2), dot(x3, y3));
      c31 += vec4f(dot(x3, y4), dot(x3, y5), dot(x3, y6), dot(x3, y7));
      c40 += vec4f(dot(x4, y0), dot(x4, y1), dot(x4, y2), dot(x4, y3));
      c41 += vec4f(dot(x4, y4), dot(x4, y5), dot(x4, y6), dot(x4, y7));
      c50 += vec4f(dot(x5, y0), dot(x5, y1), dot(x5, y2), dot(x5, y3));
      c51 += vec4f(dot(x5, y4), dot(x5, y5), dot(x5, y6), dot(x5, y7));
      c60 += vec4f(dot(x6, y0), dot(x6, y1), dot(x6, y2), dot(x6, y3));
      c61 += vec4f(dot(x6, y4), dot(x6, y5), dot(x6, y6), dot(x6, y7));
      c70 += vec4f(dot(x7, y0), dot(x7, y1), dot(x7, y2), dot(x7, y3));
      c71 += vec4f(dot(x7, y4), dot(x7, y5), dot(x7, y6), dot(x7, y7));
    }
  } else {
    // TN: per step of K, 8 columns of a as 2 vec4 along M, 8 columns of b as 2 vec4 along N.
    let p0 = m0 / 4u;
    let p1 = min(p0 + 1u, M4 - 1u);
    for (var k = 0u; k < p.K; k++) {
      let xa = a4[k * M4 + p0];
      let xb = a4[k * M4 + p1];
      let y0 = bV(k * N4 + q0);
      let y1 = bV(k * N4 + q1);
      c00 += xa.x * y0;
      c01 += xa.x * y1;
      c10 += xa.y * y0;
      c11 += xa.y * y1;
      c20 += xa.z * y0;
      c21 += xa.z * y1;
      c30 += xa.w * y0;
      c31 += xa.w * y1;
      c40 += xb.x * y0;
      c41 += xb.x * y1;
      c50 += xb.y * y0;
      c51 += xb.y * y1;
      c60 += xb.z * y0;
      c61 += xb.z * y1;
      c70 += xb.w * y0;
      c71 += xb.w * y1;
    }
  }
  storeVec4(m0 + 0u, q0, n0 < p.N, c00);
  storeVec4(m0 + 0u, q0 + 1u, n0 + 4u < p.N, c01);
  storeVec4(m0 + 1u, q0, n0 < p.N, c10);
  storeVec4(m0 + 1u, q0 + 1u, n0 + 4u < p.N, c11);
  storeVec4(m0 + 2u, q0, n0 < p.N, c20);
  storeVec4(m0 + 2u, q0 + 1u, n0 + 4u < p.N, c21);
  storeVec4(m0 + 3u, q0, n0 < p.N, c30);
  storeVec4(m0 + 3u, q0 + 1u, n0 + 4u < p.N, c31);
  storeVec4(m0 + 4u, q0, n0 < p.N, c40);
  storeVec4(m0 + 4u, q0 + 1u, n0 + 4u < p.N, c41);
  storeVec4(m0 + 5u, q0, n0 < p.N, c50);
  storeVec4(m0 + 5u, q0 + 1u, n0 + 4u < p.N, c51);
  storeVec4(m0 + 6u, q0, n0 < p.N, c60);
  storeVec4(m0 + 6u, q0 + 1u, n0 + 4u < p.N, c61);
  storeVec4(m0 + 7u, q0, n0 < p.N, c70);
  storeVec4(m0 + 7u, q0 + 1u, n0 + 4u < p.N, c71);
}
