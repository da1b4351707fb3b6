// The matmul kernels' scalar store: outputs (m, n..n+3) of out (M, N) from v, those inside the
// matrix, as alpha · v (+ bias) (+= with ACCUMULATE). The including file declares Params p (M, N,
// alpha), BIAS, ACCUMULATE and the bindings out and bias (f32 arrays).
fn storeScalar(m: u32, n: u32, v: vec4f) {
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
