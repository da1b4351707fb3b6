// AdamW update of one parameter tensor, following torch.optim.AdamW (amsgrad off, maximize off).
// param, m, v, grad: (N) flat; scale: (1), the gradient clip factor of globalNormFinalize.
// One invocation per element, 256 per workgroup, folded into y past 65535 workgroups:
//   g = grad · scale[0]
//   param *= 1 − lr · weightDecay                (decoupled weight decay)
//   m = β1 · m + (1 − β1) · g;  v = β2 · v + (1 − β2) · g²
//   param −= stepSize · m / (sqrt(v) / bc2Sqrt + eps), stepSize = lr / (1 − β1^t), bc2Sqrt = sqrt(1 − β2^t)
// The host computes stepSize and bc2Sqrt from the step t in float64 (adamwParams).
// A non-finite scale (NaN from a non-finite gradient norm) skips the update: param, m and v keep
// their values, so one bad batch cannot poison the weights before the host reads the norm back.
// Updates in place: param, m, v (read and written by the invocation that owns the element).

struct Params {
  N: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  stepSize: f32,
  bc2Sqrt: f32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;
@group(0) @binding(5) var<storage, read> scale: array<f32>;

// Exponent bits all ones: NaN or ±Inf. A bit test, since WGSL lets compilers assume no NaNs.
fn isNonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn adamwUpdate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N) { return; }
  let s = scale[0];
  if (isNonFinite(s)) { return; }
  let g = grad[i] * s;
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let decayed = param[i] * (1.0 - p.lr * p.weightDecay);
  param[i] = decayed - p.stepSize * mi / (sqrt(vi) / p.bc2Sqrt + p.eps);
}
