// SwiGLU gate of a Llama MLP. gate, up, out, dout, dgate, dup: (N, H) row-major, N rows (B·T)
// and H the MLP's hidden size; gate and up are two separate tensors (HF's gate_proj and up_proj
// outputs), not one fused (N, 2H) tensor.
// One invocation per element, 256 per workgroup, folded into y past 65535 workgroups.
// swigluForward writes out = silu(gate) · up, silu(x) = x · sigmoid(x).
// swigluBackward writes dgate = dout · up · silu'(gate) and dup = dout · silu(gate) (gate and up
// feed nothing else, so their gradients need no accumulation and no zeroing),
// silu'(x) = s · (1 + x · (1 − s)) with s = sigmoid(x); s and 1 − s come from exp(−|x|), so no
// exp overflows and nothing cancels for large |gate|.

struct Params {
  N: u32,
  H: u32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// (sigmoid(x), 1 − sigmoid(x)), both accurate for any x.
fn sigmoidPair(x: f32) -> vec2f {
  let e = exp(-abs(x));
  let big = 1.0 / (1.0 + e);
  let small = e / (1.0 + e);
  if (x >= 0.0) { return vec2f(big, small); }
  return vec2f(small, big);
}

// ---- forward: out = silu(gate) · up ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;

@compute @workgroup_size(WG)
fn swigluForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N * p.H) { return; }
  let x = gate[i];
  out[i] = x * sigmoidPair(x).x * up[i];
}

// ---- backward: dgate = dout · up · silu'(gate), dup = dout · silu(gate) ----
@group(0) @binding(1) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(2) var<storage, read_write> dup: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read> gateSaved: array<f32>;
@group(0) @binding(5) var<storage, read> upSaved: array<f32>;

@compute @workgroup_size(WG)
fn swigluBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N * p.H) { return; }
  let x = gateSaved[i];
  let s = sigmoidPair(x);
  let g = dout[i];
  dgate[i] = g * upSaved[i] * s.x * (1.0 + x * s.y);
  dup[i] = g * x * s.x;
}
