// Inverted dropout (LoRA's lora_dropout on the adapter input). inp, out, mask, dout, dinp: (N) flat,
// any shape of N elements.
// dropoutForward: one invocation per block of 4 elements (one Philox-4x32-10 call gives 4 words),
// 64 invocations (256 elements) per workgroup, folded into y past 65535 workgroups. Element i
// draws word i % 4 of
//   Philox-4x32-10(counter = (i / 4, step, stream, 1), key = (seed, 0))
// (c3 = 1 is the dropout domain: sampling.wgsl draws with c3 = 0, so the two never share words;
// stream tells apart the dropout sites of one step, e.g. one per LoRA adapter). u = (word >> 8) · 2^−24
// in [0, 1) as in sampling.wgsl; element i is kept when u ≥ p, tested exactly in integers as
// (word >> 8) ≥ threshold with threshold = ⌈p · 2^24⌉ from the launcher. mask[i] = scale = 1 / (1 − p)
// (f32) when kept, else 0; out[i] = inp[i] · mask[i]. p = 0: threshold 0 and scale 1, so every
// element is kept and out = inp exactly.
// dropoutBackward: one invocation per element, 256 per workgroup: dinp = dout · mask (or += with
// ACCUMULATE), the mask saved by the forward held fixed.
// Writes: dropoutForward: out =, mask =; dropoutBackward: dinp = (or += with ACCUMULATE).
// out must not alias inp, nor dinp alias dout (WebGPU forbids a buffer bound writable and read-only).

struct Params {
  N: u32,
  threshold: u32, // ⌈p · 2^24⌉: keep when (word >> 8) ≥ threshold
  scale: f32,     // 1 / (1 − p)
  seed: u32,
  step: u32,
  stream: u32,
}

const WG: u32 = 64u;       // forward: invocations per workgroup, 4 elements each
const WG_BACK: u32 = 256u; // backward: invocations per workgroup, 1 element each
const DOMAIN: u32 = 1u;    // counter word c3 of every dropout draw (sampling uses 0)

override ACCUMULATE: bool = false;

@group(0) @binding(0) var<uniform> p: Params;

#include "philox"

// ---- forward: mask = keep ? 1 / (1 − p) : 0, out = inp · mask ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;

@compute @workgroup_size(WG)
fn dropoutForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_id) lid: vec3u) {
  let block = (wid.x + wid.y * nwg.x) * WG + lid.x;
  let first = block * 4u;
  if (first >= p.N) { return; }
  let words = philox4x32_10(vec4u(block, p.step, p.stream, DOMAIN), vec2u(p.seed, 0u));
  for (var j = 0u; j < 4u; j++) {
    let i = first + j;
    if (i >= p.N) { break; }
    let m = select(0.0, p.scale, (words[j] >> 8u) >= p.threshold);
    mask[i] = m;
    out[i] = inp[i] * m;
  }
}

// ---- backward: dinp = dout · mask (or += with ACCUMULATE) ----
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> maskSaved: array<f32>;

@compute @workgroup_size(WG_BACK)
fn dropoutBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG_BACK + lid.x;
  if (i >= p.N) { return; }
  var g = dout[i] * maskSaved[i];
  if (ACCUMULATE) { g += dinp[i]; }
  dinp[i] = g;
}
