// Rotary position embedding, Hugging Face Llama / Qwen convention ("rotate_half"): within each
// head, element i < hs/2 pairs with element i + hs/2 and the pair turns by the angle
// pos · inv_freq[i], inv_freq[i] = theta^(-2i/hs) (or its linear / llama3 scaling, baked into the
// table), pos = positionOffset + t − leftPadding[b]:
// a batch of prompts of different lengths is left-padded to a common length, and each row's
// first real token is its position 0 (pad columns take position 0; nothing attends to them).
// inp, out, dout, dinp: (B, T, NH, hs) row-major, i.e. a q or k projection's (B·T, NH·hs) output.
// leftPadding: (B) u32, all 0 in training.
// freqs: (Tmax, hs/2, 2) = (cos, sin) of every angle, built in float64 on the CPU (ropeTable in
// src/gpu/kernels/rope.ts), so no GPU sin/cos of large angles; positionOffset + T <= Tmax.
// One invocation per pair (b, t, h, i), 1-D over B·T·NH·hs/2, folded into y past 65535 groups.
// out and inp (dinp and dout) must be different buffers: the pre-rope input stays intact.
// Writes: ropeForward out = rotate(inp); ropeBackward dinp = rotate^T(dout) (a turn by −angle;
// `=`, not `+=`: the pre-rope q or k has no other consumer).

struct Params {
  B: u32,
  T: u32,
  NH: u32,
  hs: u32,
  positionOffset: u32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> freqs: array<f32>;
@group(0) @binding(4) var<storage, read> leftPadding: array<u32>;

// out[i] = x[i]·cos − x[i+half]·sin, out[i+half] = x[i+half]·cos + x[i]·sin with sin → sign·sin.
fn rotatePair(index: u32, sign: f32) {
  let half = p.hs / 2u;
  if (index >= p.B * p.T * p.NH * half) { return; }
  let i = index % half;
  let row = index / half;  // (b·T + t)·NH + h
  let t = (row / p.NH) % p.T;
  let b = row / (p.NH * p.T);
  let pos = max(i32(p.positionOffset + t) - i32(leftPadding[b]), 0);
  let f = (u32(pos) * half + i) * 2u;
  let c = freqs[f];
  let s = sign * freqs[f + 1u];
  let lo = row * p.hs + i;
  let hi = lo + half;
  let x0 = inp[lo];
  let x1 = inp[hi];
  out[lo] = x0 * c - x1 * s;
  out[hi] = x1 * c + x0 * s;
}

@compute @workgroup_size(WG)
fn ropeForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  rotatePair(gid.x + gid.y * nwg.x * WG, 1.0);
}

// The rotation is orthogonal, so its transpose is the turn by −angle.
@compute @workgroup_size(WG)
fn ropeBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  rotatePair(gid.x + gid.y * nwg.x * WG, -1.0);
}
