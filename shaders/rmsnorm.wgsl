// RMSNorm. inp, out, dout, dinp: (N, C) row-major; rstd: (N); weight, dweight: (C).
// rmsnormForward and rmsnormBackward: one invocation per row, looping over C; 64 rows per
// workgroup. No workgroup memory and no barriers: on SwiftShader (the GPU of a machine without
// one) a barrier costs microseconds, and a row-per-workgroup reduction was 20x slower.
// rmsnormBackwardWeight: one invocation per channel, looping over the N rows (a thread owns its
// dweight entry, so no atomics).
// Writes: out =, rstd =; accumulates: dinp +=, dweight += (llm.c's convention for gradients);
// rmsnormBackward writes dinp = instead when ACCUMULATE is false (a gradient with no other source,
// such as the per-head q/k norm's input in Qwen3).

struct Params {
  N: u32,
  C: u32,
  eps: f32,
}

const WG: u32 = 64u;
override ACCUMULATE: bool = true;

@group(0) @binding(0) var<uniform> p: Params;

fn rowIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- forward: out = inp * rstd * weight, rstd = 1 / sqrt(mean(inp^2) + eps) ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;

@compute @workgroup_size(WG)
fn rmsnormForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var sumSq = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let x = inp[base + c];
    sumSq += x * x;
  }
  let s = 1.0 / sqrt(sumSq / f32(p.C) + p.eps);
  for (var c = 0u; c < p.C; c++) {
    out[base + c] = inp[base + c] * s * weight[c];
  }
  rstd[row] = s;
}

// ---- backward (input): dinp (+)= rstd * (w*dout) - inp * rstd^3 * mean(w*dout*inp) ----
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> inpSaved: array<f32>;
@group(0) @binding(4) var<storage, read> weightSaved: array<f32>;
@group(0) @binding(5) var<storage, read> rstdSaved: array<f32>;

@compute @workgroup_size(WG)
fn rmsnormBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= p.N) { return; }
  let base = row * p.C;
  let s = rstdSaved[row];
  var dot = 0.0;
  for (var c = 0u; c < p.C; c++) {
    dot += weightSaved[c] * dout[base + c] * inpSaved[base + c];
  }
  let meanDot = dot / f32(p.C);
  for (var c = 0u; c < p.C; c++) {
    let x = inpSaved[base + c];
    var g = s * weightSaved[c] * dout[base + c] - x * s * s * s * meanDot;
    if (ACCUMULATE) { g += dinp[base + c]; }
    dinp[base + c] = g;
  }
}

// ---- backward (weight): dweight[c] += sum_n dout[n,c] * inp[n,c] * rstd[n] ----
@group(0) @binding(1) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(2) var<storage, read> doutW: array<f32>;
@group(0) @binding(3) var<storage, read> inpW: array<f32>;
@group(0) @binding(4) var<storage, read> rstdW: array<f32>;

@compute @workgroup_size(WG)
fn rmsnormBackwardWeight(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var sum = 0.0;
  for (var n = 0u; n < p.N; n++) {
    sum += doutW[n * p.C + c] * inpW[n * p.C + c] * rstdW[n];
  }
  dweight[c] += sum;
}
