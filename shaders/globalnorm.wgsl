// Global L2 norm of many gradient tensors and the clip factor for adamwUpdate, without atomics.
// grad: (N) flat, one gradient tensor; partials: (P) sums of squares, P = Σ over the tensors of
// ceil(N / CHUNK); norm, clip: (1).
// globalNormPartial: one 256-wide workgroup per CHUNK = 4096 elements of one tensor (16 per
// invocation, strided by 256), folded into y past 65535 workgroups; reduced in workgroup memory
// in a fixed tree; workgroup g of the tensor writes partials[offset + g] =.
// globalNormFinalize: one workgroup; invocation i sums partials i, i+256, ... in order, then the
// same tree; writes norm = sqrt(Σ partials) and clip = min(1, maxNorm / (norm + 1e-6)), as
// torch.nn.utils.clip_grad_norm_ does. The order of every sum is fixed: deterministic.
// Non-finite gradients: Σ g² is NaN if any element is NaN, else +Inf if any is ±Inf (or the
// squares overflow); norm then holds that NaN or +Inf and clip is NaN (found with a bit test,
// since WGSL lets compilers assume no NaNs), which makes adamwUpdate skip the step. The host
// reads norm back to log it and to notice the skipped step.
// Writes: partials = (its slice), norm =, clip =.

struct Params {
  N: u32,        // globalNormPartial: elements of grad; globalNormFinalize: number of partials
  offset: u32,   // globalNormPartial: where this tensor's partials start
  maxNorm: f32,  // globalNormFinalize
}

const WG: u32 = 256u;
const PER_THREAD: u32 = 16u;
const CHUNK: u32 = WG * PER_THREAD;

@group(0) @binding(0) var<uniform> p: Params;

var<workgroup> scratch: array<f32, WG>;

fn reduceSum(lid: u32, value: f32) -> f32 {
  scratch[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

// ---- partial: partials[offset + g] = Σ grad[i]² over chunk g of this tensor ----
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;

@compute @workgroup_size(WG)
fn globalNormPartial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= (p.N + CHUNK - 1u) / CHUNK) { return; }  // uniform per workgroup
  let base = group * CHUNK;
  var sum = 0.0;
  for (var k = 0u; k < PER_THREAD; k++) {
    let i = base + k * WG + lid.x;
    if (i < p.N) {
      let x = grad[i];
      sum += x * x;
    }
  }
  let total = reduceSum(lid.x, sum);
  if (lid.x == 0u) { partials[p.offset + group] = total; }
}

// ---- finalize: norm = sqrt(Σ partials), clip = min(1, maxNorm / (norm + 1e-6)) ----
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;
@group(0) @binding(2) var<storage, read_write> clip: array<f32>;
@group(0) @binding(3) var<storage, read> partialsIn: array<f32>;

// Exponent bits all ones: NaN or ±Inf.
fn isNonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn globalNormFinalize(@builtin(local_invocation_id) lid: vec3u) {
  var sum = 0.0;
  for (var i = lid.x; i < p.N; i += WG) {
    sum += partialsIn[i];
  }
  let total = reduceSum(lid.x, sum);
  if (lid.x == 0u) {
    if (isNonFinite(total)) {
      norm[0] = total;
      clip[0] = bitcast<f32>(bitcast<u32>(total) | 0x7fc00000u);  // a quiet NaN
    } else {
      let n = sqrt(total);
      norm[0] = n;
      clip[0] = min(1.0, p.maxNorm / (n + 1e-6));
    }
  }
}
