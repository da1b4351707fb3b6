// Log-softmax losses over rows of logits. logits, dlogits: (N, V) row-major; targets: (N) u32
// token ids (< V); lse, logprob, loss, entropy and their gradients dlogprob, dloss, dentropy: (N).
// Every entry point scales the logits by 1/temperature first: z = logits · invTemperature
// (1 for training; RL passes its sampling temperature), and lse = log Σ_v exp(z[n, v]).
// Forward: one invocation per row, 64 rows per workgroup, looping over V: the row max of z, then
// Σ exp(z − max) (and for the entropy Σ exp(z − max)·(z − max)) in f32. No workgroup memory and
// no barriers: on SwiftShader (the GPU of a machine without one) a barrier costs microseconds,
// and a workgroup-per-row reduction was several times slower.
// Backward: one 256-wide workgroup per row, elementwise from the saved lse (and entropy), with
// p = exp(z − lse); the gradient is taken w.r.t. the unscaled logits (hence the invTemperature).
// Writes: logprobForward:      logprob = z[target] − lse,        lse =
//         crossEntropyForward: loss    = lse − z[target],        lse =
//         entropyForward:      entropy = −Σ p·log p,             lse =
// Backward (dlogits `+=` when ACCUMULATE, the default, so that the logprob and entropy terms of an
// RL loss add up in one buffer; `=` when ACCUMULATE is false, to skip zeroing it first):
//   logprobBackward:      dlogits (+)= invT · dlogprob · (onehot(target) − p)
//   crossEntropyBackward: dlogits (+)= invT · dloss · (p − onehot(target))
//   entropyBackward:      dlogits (+)= invT · dentropy · (−p · (log p + entropy))

struct Params {
  N: u32,
  V: u32,
  invTemperature: f32,
}

const WG: u32 = 256u;
const LOWEST: f32 = -3.4028234e38;

override ACCUMULATE: bool = true;

@group(0) @binding(0) var<uniform> p: Params;

const ROWS_WG: u32 = 64u;

fn rowIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * ROWS_WG;
}

// ---- forward: rowOut = logprob, loss or entropy; lseOut = lse --------------------------------
@group(0) @binding(1) var<storage, read_write> rowOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> lseOut: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<u32>;

fn rowMax(base: u32) -> f32 {
  var m = LOWEST;
  for (var v = 0u; v < p.V; v++) { m = max(m, logits[base + v] * p.invTemperature); }
  return m;
}

// log Σ exp(z − m): the lse is m + this.
fn rowLogSumExp(base: u32, m: f32) -> f32 {
  var s = 0.0;
  for (var v = 0u; v < p.V; v++) { s += exp(logits[base + v] * p.invTemperature - m); }
  return log(s);
}

@compute @workgroup_size(ROWS_WG)
fn logprobForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= p.N) { return; }
  let base = row * p.V;
  let m = rowMax(base);
  let logS = rowLogSumExp(base, m);
  rowOut[row] = (logits[base + targets[row]] * p.invTemperature - m) - logS;
  lseOut[row] = m + logS;
}

@compute @workgroup_size(ROWS_WG)
fn crossEntropyForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= p.N) { return; }
  let base = row * p.V;
  let m = rowMax(base);
  let logS = rowLogSumExp(base, m);
  rowOut[row] = logS - (logits[base + targets[row]] * p.invTemperature - m);
  lseOut[row] = m + logS;
}

// H = −Σ p (z − lse) = log S − Σ e·(z − m) / S with e = exp(z − m), S = Σ e: both terms shrink
// together as the row gets peaked, so a nearly one-hot row gives H ≈ 0 without cancellation.
@compute @workgroup_size(ROWS_WG)
fn entropyForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= p.N) { return; }
  let base = row * p.V;
  let m = rowMax(base);
  var sum = 0.0;
  var weighted = 0.0;
  for (var v = 0u; v < p.V; v++) {
    let d = logits[base + v] * p.invTemperature - m;
    let e = exp(d);
    sum += e;
    weighted += e * d;
  }
  let logS = log(sum);
  rowOut[row] = logS - weighted / sum;
  lseOut[row] = m + logS;
}

// ---- backward: dlogits (+)= invT · dout[n] · ∂(logprob | loss | entropy)/∂z ----------------------
@group(0) @binding(1) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> logitsSaved: array<f32>;
@group(0) @binding(4) var<storage, read> targetsSaved: array<u32>;
@group(0) @binding(5) var<storage, read> lseSaved: array<f32>;
// entropyBackward binds lse and entropy at 4 and 5 (it takes no targets)
@group(0) @binding(4) var<storage, read> lseEnt: array<f32>;
@group(0) @binding(5) var<storage, read> entropySaved: array<f32>;

fn store(i: u32, g: f32) {
  if (ACCUMULATE) { dlogits[i] += g; } else { dlogits[i] = g; }
}

// sign = +1 for the logprob, −1 for the cross-entropy loss.
fn targetBackward(row: u32, lid: u32, sign: f32) {
  let base = row * p.V;
  let lse = lseSaved[row];
  let tgt = targetsSaved[row];
  let scale = sign * dout[row] * p.invTemperature;
  for (var v = lid; v < p.V; v += WG) {
    let prob = exp(logitsSaved[base + v] * p.invTemperature - lse);
    store(base + v, scale * (select(0.0, 1.0, v == tgt) - prob));
  }
}

@compute @workgroup_size(WG)
fn logprobBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  targetBackward(row, lid.x, 1.0);
}

@compute @workgroup_size(WG)
fn crossEntropyBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  targetBackward(row, lid.x, -1.0);
}

@compute @workgroup_size(WG)
fn entropyBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = lseEnt[row];
  let h = entropySaved[row];
  let scale = dout[row] * p.invTemperature;
  for (var v = lid.x; v < p.V; v += WG) {
    let logp = logitsSaved[base + v] * p.invTemperature - lse;
    store(base + v, -scale * exp(logp) * (logp + h));
  }
}
