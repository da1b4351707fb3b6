// Matrix multiply with a frozen 16-bit weight as b: out (M, N) = alpha · op(a) · op(b) (+ bias),
// or += with ACCUMULATE; a, out and bias f32, b packed two values per u32 (lib/packed16.wgsl;
// BF16 picks bfloat16 over f16), f32 accumulation. Layouts as matmul.wgsl's (LAYOUT override):
//   0 NN: a (M, K), b (K, N)   dx = dy · W, the backward through a frozen linear layer
//   1 NT: a (M, K), b (N, K)   y = x · Wᵀ, a frozen linear layer's forward (and the LM head's)
//   2 TN: a (K, M), b (K, N)   (no frozen weight is read so; kept for a complete table)
// matmulForwardVec4 (lib/matmulVec4.wgsl, as in matmul.wgsl; the same shapes: 4 | N, and 4 | K
// for NN and NT or 4 | M for TN), each vec4 of b two words unpacked; every real model's shapes.
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

#include "matmulStore"

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
    storeScalar(m0 + i, n0, acc[2u * i]);
    storeScalar(m0 + i, n0 + 4u, acc[2u * i + 1u]);
  }
}

// ---- vec4 loads: 4 | N, and 4 | K (NN, NT) or 4 | M (TN): lib/matmulVec4.wgsl's
// matmulForwardVec4 with each vec4 of b four packed values, two words ----
@group(0) @binding(1) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;
@group(0) @binding(3) var<storage, read> b2: array<vec2u>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4f>;

// Values 4i..4i+3 of b.
fn bV(i: u32) -> vec4f {
  let w = b2[i];
  return vec4f(unpackPair(w.x), unpackPair(w.y));
}

#include "matmulVec4"
