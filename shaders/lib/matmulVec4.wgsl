// The register kernel's vec4 entry point, matmulForwardVec4, shared by matmul.wgsl (b f32) and
// matmulPacked.wgsl (b a packed 16-bit weight): out (M, N) = alpha · op(a) · op(b) (+ bias) for
// 4 | N, and 4 | K (NN, NT) or 4 | M (TN), each invocation an 8×8 block of out in 16 vec4
// registers, streamed from storage (matmul.wgsl says why). The including file declares Params p,
// LAYOUT, BIAS, ACCUMULATE, WG_X, WG_Y, TILE, the bindings out4, a4, bias4, and `fn bV(i) -> vec4f`,
// values 4i..4i+3 of b.
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
fn matmulForwardVec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
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
