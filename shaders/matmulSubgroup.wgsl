// Matrix-vector product of decode with subgroup reductions, for adapters with the `subgroups`
// feature (a file of its own: `enable subgroups` does not compile elsewhere).
// matmulVecSubgroup: out (M, N) = alpha · x · Wᵀ (+ bias) (or += with ACCUMULATE), the NT layout
// of shaders/matmul.wgsl with M = MV_M ≤ 4 rows: x (M, K), W (N, K), bias (N), 4 | K.
// A workgroup is one subgroup: its MV_WG invocations (the launcher sets MV_WG to at most the
// adapter's smallest subgroup size) own 4 outputs (rows n0..n0+3 of W) for every row of x. Each
// invocation strides over K in vec4s, accumulating 4 partial dot products per row of x; one
// subgroupAdd per row of x sums them across the subgroup, and invocation 0 stores the 4 outputs.
// Unlike matmulVec there is no workgroup memory, no barrier and no serial sum of MV_WG partials.
// Writes: out = (or += with ACCUMULATE).
enable subgroups;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32, // scales the product (LoRA's alpha / rank), not the bias or what is accumulated onto
}

override BIAS: bool = false;
override ACCUMULATE: bool = false;
override MV_M: u32 = 1u;
override MV_WG: u32 = 32u;
const MV_OUT: u32 = 4u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<vec4f>;
@group(0) @binding(3) var<storage, read> w: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

#include "matmulStore"

@compute @workgroup_size(MV_WG)
fn matmulVecSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let n0 = (wid.x + wid.y * nwg.x) * MV_OUT;
  if (n0 >= p.N) { return; }  // uniform per workgroup, so every invocation reaches the subgroupAdds
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
    let y0 = w[w0 + k4];
    let y1 = w[w1 + k4];
    let y2 = w[w2 + k4];
    let y3 = w[w3 + k4];
    let x0 = x[k4];
    acc0 += vec4f(dot(x0, y0), dot(x0, y1), dot(x0, y2), dot(x0, y3));
    if (MV_M > 1u) {
      let x1 = x[K4 + k4];
      acc1 += vec4f(dot(x1, y0), dot(x1, y1), dot(x1, y2), dot(x1, y3));
    }
    if (MV_M > 2u) {
      let x2 = x[2u * K4 + k4];
      acc2 += vec4f(dot(x2, y0), dot(x2, y1), dot(x2, y2), dot(x2, y3));
    }
    if (MV_M > 3u) {
      let x3 = x[3u * K4 + k4];
      acc3 += vec4f(dot(x3, y0), dot(x3, y1), dot(x3, y2), dot(x3, y3));
    }
  }
  let s0 = subgroupAdd(acc0);
  let s1 = subgroupAdd(acc1);
  let s2 = subgroupAdd(acc2);
  let s3 = subgroupAdd(acc3);
  if (lid.x != 0u) { return; }
  storeScalar(0u, n0, s0);
  if (MV_M > 1u) { storeScalar(1u, n0, s1); }
  if (MV_M > 2u) { storeScalar(2u, n0, s2); }
  if (MV_M > 3u) { storeScalar(3u, n0, s3); }
}
