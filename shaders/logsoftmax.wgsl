// Log-softmax losses over the vocabulary, one chunk of vocabulary columns at a time, so that the
// (N, V) logits are never held (src/model/vocabHead.ts makes each chunk with a matmul of the final
// hidden states and lm_head's rows, then drops it). targets: (N) u32 token ids (< V); logprob,
// lse, entropy, dlogprob, dentropy: (N). Every entry point scales the logits by 1/temperature:
// z = logits · invTemperature (1 for training; RL passes its sampling temperature), and
// lse = log Σ_v exp(z[n, v]); the gradient is w.r.t. the unscaled logits (hence the invTemperature).
// Per row, in f32: the cross-entropy is −logprob, logprob = z[target] − lse, entropy = −Σ p·log p.
// Forward: one invocation per row, 64 rows per workgroup, looping over the chunk's columns. No
// workgroup memory and no barriers: on SwiftShader (the GPU of a machine without one) a barrier
// costs microseconds, and a workgroup-per-row reduction was several times slower.
// Backward: one 256-wide workgroup per row, elementwise from the saved lse (and entropy).

const WG: u32 = 256u;
const LOWEST: f32 = -3.4028234e38;
const ROWS_WG: u32 = 64u;

fn rowIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * ROWS_WG;
}

// ---- over vocabulary chunks --------------------------------------------------------------------
// A vocabulary chunk holds the logits of columns [first, first + Vc) for every row: chunk (N, Vc)
// row-major (the caller's matmul of the final hidden states with Vc rows of lm_head). Each row
// keeps a running state (N) vec4 of z = logits · invTemperature over the chunks seen so far,
// an online log-sum-exp:
//   x = max z,  y = Σ exp(z − x),  z = Σ exp(z − x)·(z − x),  w = z[target] (once its chunk is seen)
// Two states (x1, y1, z1) and (x2, y2, z2) merge into x = max(x1, x2), with aᵢ = exp(xᵢ − x):
//   y = a1·y1 + a2·y2,  z = a1·(z1 + (x1 − x)·y1) + a2·(z2 + (x2 − x)·y2).
// vocabChunkForward: one invocation per row, 64 rows per workgroup: the chunk's own state, merged
// into rowState (or written, for the first chunk). vocabChunkFinalize: logprob = w − lse,
// lse = x + log y, entropy = log y − z / y (as entropyForward). vocabChunkBackward: one 256-wide
// workgroup per row, in place on the chunk: chunk = invT · (dlogprob·(onehot(target) − p)
// [+ dentropy·(−p·(log p + entropy)) with ENTROPY]), the gradient w.r.t. the chunk's unscaled logits.
// Writes: vocabChunkForward rowState (= on the first chunk, merged after); vocabChunkFinalize
// logprob =, lse =, entropy =; vocabChunkBackward chunk = (in place).

struct ChunkParams {
  N: u32,
  Vc: u32,     // columns in this chunk
  first: u32,  // the chunk's first vocabulary id
  invTemperature: f32,
}

override ENTROPY: bool = false;

@group(0) @binding(0) var<uniform> cp: ChunkParams;

@group(0) @binding(1) var<storage, read_write> rowState: array<vec4f>;
@group(0) @binding(2) var<storage, read> chunkLogits: array<f32>;
@group(0) @binding(3) var<storage, read> chunkTargets: array<u32>;

@compute @workgroup_size(ROWS_WG)
fn vocabChunkForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= cp.N) { return; }
  let base = row * cp.Vc;
  var m = LOWEST;
  for (var v = 0u; v < cp.Vc; v++) { m = max(m, chunkLogits[base + v] * cp.invTemperature); }
  var sum = 0.0;
  var weighted = 0.0;
  for (var v = 0u; v < cp.Vc; v++) {
    let d = chunkLogits[base + v] * cp.invTemperature - m;
    let e = exp(d);
    sum += e;
    weighted += e * d;
  }
  let tgt = chunkTargets[row];
  let inside = tgt >= cp.first && tgt < cp.first + cp.Vc;
  let targetLogit = select(0.0, chunkLogits[base + min(tgt - cp.first, cp.Vc - 1u)] * cp.invTemperature, inside);
  if (cp.first == 0u) {
    rowState[row] = vec4f(m, sum, weighted, targetLogit);
    return;
  }
  let old = rowState[row];
  let x = max(old.x, m);
  let a1 = exp(old.x - x);
  let a2 = exp(m - x);
  rowState[row] = vec4f(
    x,
    a1 * old.y + a2 * sum,
    a1 * (old.z + (old.x - x) * old.y) + a2 * (weighted + (m - x) * sum),
    select(old.w, targetLogit, inside),
  );
}

@group(0) @binding(1) var<storage, read_write> logprobOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> lseFinal: array<f32>;
@group(0) @binding(3) var<storage, read_write> entropyOut: array<f32>;
@group(0) @binding(4) var<storage, read> stateIn: array<vec4f>;

@compute @workgroup_size(ROWS_WG)
fn vocabChunkFinalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowIndex(gid, nwg);
  if (row >= cp.N) { return; }
  let s = stateIn[row];
  let logS = log(s.y);
  logprobOut[row] = (s.w - s.x) - logS;
  lseFinal[row] = s.x + logS;
  entropyOut[row] = logS - s.z / s.y;
}

@group(0) @binding(1) var<storage, read_write> chunkGrad: array<f32>;
@group(0) @binding(2) var<storage, read> dlogprobIn: array<f32>;
@group(0) @binding(3) var<storage, read> targetsIn: array<u32>;
@group(0) @binding(4) var<storage, read> lseIn: array<f32>;
// read with ENTROPY only (bound either way)
@group(0) @binding(5) var<storage, read> dentropyIn: array<f32>;
@group(0) @binding(6) var<storage, read> entropyIn: array<f32>;

@compute @workgroup_size(WG)
fn vocabChunkBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= cp.N) { return; }
  let base = row * cp.Vc;
  let lse = lseIn[row];
  let tgt = targetsIn[row];
  let dlp = dlogprobIn[row];
  for (var v = lid.x; v < cp.Vc; v += WG) {
    let logp = chunkGrad[base + v] * cp.invTemperature - lse;
    let prob = exp(logp);
    var g = dlp * (select(0.0, 1.0, cp.first + v == tgt) - prob);
    if (ENTROPY) { g -= dentropyIn[row] * prob * (logp + entropyIn[row]); }
    chunkGrad[base + v] = cp.invTemperature * g;
  }
}

// vocabChunkScatter: full logits from chunks, where they are wanted (generation): one invocation
// per element of the chunk, 256 per workgroup (folded into y): logits[n, first + j] = chunk[n, j].
// Writes: logits = (the chunk's columns).
@group(0) @binding(1) var<storage, read_write> fullLogits: array<f32>;
@group(0) @binding(2) var<storage, read> chunkIn: array<f32>;

struct ScatterParams {
  N: u32,
  Vc: u32,
  first: u32,
  V: u32,
}

@group(0) @binding(0) var<uniform> sp: ScatterParams;

@compute @workgroup_size(WG)
fn vocabChunkScatter(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= sp.N * sp.Vc) { return; }
  let n = i / sp.Vc;
  let j = i - n * sp.Vc;
  fullLogits[n * sp.V + sp.first + j] = chunkIn[i];
}
