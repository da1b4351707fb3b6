// Residual connection. a, b, out, dout, da, db: (N) flat, any shape of N elements.
// One invocation per element, 256 per workgroup, folded into y past 65535 workgroups.
// residualForward writes out = a + b.
// residualBackward accumulates da += dout and db += dout: the gradient flows unchanged into both
// branches, and += lets the residual stream collect it from every block. da and db must be two
// different buffers, and out must not alias a or b (WebGPU forbids a buffer bound writable and
// read-only, or writable twice, in one dispatch).

struct Params {
  N: u32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward: out = a + b ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

@compute @workgroup_size(WG)
fn residualForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N) { return; }
  out[i] = a[i] + b[i];
}

// ---- backward: da += dout, db += dout ----
@group(0) @binding(1) var<storage, read_write> da: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;

@compute @workgroup_size(WG)
fn residualBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N) { return; }
  let g = dout[i];
  da[i] += g;
  db[i] += g;
}
