// Causal self-attention with grouped-query heads (Llama / Qwen2), llm.c style. Row-major layouts:
//   q, out, dout, dq:  (B, T, NH, hs)   a q projection's (B·T, NH·hs) output
//   k, v, dk, dv:      (B, Tkv, NKV, hs) Tkv = T in training; Tkv = Tmax for a KV cache
//   att, dpreatt:      (B, NH, T, Tkv)  softmax probabilities; gradient of the pre-softmax scores
//   kvNew:             (B, T, NKV, hs)  a new step's k or v for kvCacheWrite
// Query t sits at position pos + t and sees keys 0..pos+t (pos = 0 in training and prefill);
// in attentionDecode, keys before leftPadding[b] (u32, (B)) are pad columns and invisible too
// (a pad query itself sees only its own key, so no softmax is empty).
// Head h reads kv head h / (NH / NKV). Scores are (q · k) / sqrt(hs); softmax subtracts the row max.
// Every att / dpreatt entry past a query's position (the causal mask) is written as exactly 0.
//
// Every kernel maps one invocation to one output row or element, 64 per workgroup, with no
// workgroup memory and no barriers: on SwiftShader (the GPU of a machine without one) a barrier
// costs microseconds, and a workgroup-per-row reduction was 2-4x slower (llm.c's first attention
// kernel is mapped the same way).
// attentionForward, attentionDecode: one invocation per query row (b, h, t): scores into the att
//   row and their max, exponentials and their sum, then out = att · v one d at a time.
//   attentionDecode is the same row against a KV cache (Tkv = Tmax, pos = the decode position,
//   usually T = 1); attentionForward is pos = 0. Writes out =, att =.
// kvCacheWrite: one invocation per element of kvNew; cache[b, pos + t] = kvNew[b, t]. Writes cache =.
// attentionBackward (training only: pos = 0, Tkv = T), two dispatches, no atomics:
//   1. attentionBackward, one invocation per query row (b, h, t): dpreatt = att ⊙ (dout·v − D),
//      D = Σ att ⊙ (dout·v), then dq = scale · Σ dpreatt · k. Writes dq =, dpreatt =.
//   2. attentionBackwardKV, one invocation per (b, tk, kvh, d) of dk and dv, looping over the
//      NH / NKV heads of its group and the queries t >= tk. Writes dk =, dv =.
//   Gradients overwrite (`=`): q, k and v feed nothing but attention.

struct Params {
  B: u32,
  T: u32,
  NH: u32,
  NKV: u32,
  hs: u32,
  Tkv: u32,
  pos: u32,
}

const WG: u32 = 64u;
const LOWEST: f32 = -3.40282346e38;  // the most negative finite f32, below every score

@group(0) @binding(0) var<uniform> p: Params;

fn invocationIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Where one query row's vectors live. row = (b·NH + h)·T + t, the order of att's rows.
struct Row {
  b: u32,
  t: u32,
  last: u32,    // the query's position pos + t: keys 0..last are visible
  qBase: u32,   // q[b, t, h, 0]
  kvBase: u32,  // k[b, 0, kvh, 0]; key tk starts at kvBase + tk·kvStride
  kvStride: u32,
  attBase: u32, // att[b, h, t, 0]
}

fn rowAt(row: u32) -> Row {
  let t = row % p.T;
  let h = (row / p.T) % p.NH;
  let b = row / (p.T * p.NH);
  let kvh = h / (p.NH / p.NKV);
  return Row(b, t, p.pos + t, ((b * p.T + t) * p.NH + h) * p.hs, (b * p.Tkv * p.NKV + kvh) * p.hs, p.NKV * p.hs, row * p.Tkv);
}

// ---- forward: att = softmax(q·k / sqrt(hs)) over visible keys, out = att · v ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> att: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;

// Keys first..last of the row are visible.
fn attendRow(row: u32, first: u32) {
  let r = rowAt(row);
  let scale = 1.0 / sqrt(f32(p.hs));
  // 1. scores into the att row, and their max
  var rowMax = LOWEST;
  for (var tk = first; tk <= r.last; tk++) {
    let kb = r.kvBase + tk * r.kvStride;
    var s = 0.0;
    for (var d = 0u; d < p.hs; d++) { s += q[r.qBase + d] * k[kb + d]; }
    s *= scale;
    att[r.attBase + tk] = s;
    rowMax = max(rowMax, s);
  }
  // 2. exponentials and their sum
  var sum = 0.0;
  for (var tk = first; tk <= r.last; tk++) {
    let e = exp(att[r.attBase + tk] - rowMax);
    att[r.attBase + tk] = e;
    sum += e;
  }
  // 3. probabilities; masked keys exactly 0
  let norm = 1.0 / sum;
  for (var tk = 0u; tk < first; tk++) { att[r.attBase + tk] = 0.0; }
  for (var tk = first; tk <= r.last; tk++) { att[r.attBase + tk] *= norm; }
  for (var tk = r.last + 1u; tk < p.Tkv; tk++) { att[r.attBase + tk] = 0.0; }
  // 4. out[d] = Σ_tk att[tk] · v[tk, d]
  for (var d = 0u; d < p.hs; d++) {
    var acc = 0.0;
    for (var tk = first; tk <= r.last; tk++) { acc += att[r.attBase + tk] * v[r.kvBase + tk * r.kvStride + d]; }
    out[r.qBase + d] = acc;
  }
}

@compute @workgroup_size(WG)
fn attentionForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = invocationIndex(gid, nwg);
  if (row >= p.B * p.NH * p.T) { return; }
  attendRow(row, 0u);
}

@group(0) @binding(6) var<storage, read> leftPadding: array<u32>;

@compute @workgroup_size(WG)
fn attentionDecode(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = invocationIndex(gid, nwg);
  if (row >= p.B * p.NH * p.T) { return; }
  let r = rowAt(row);
  attendRow(row, min(leftPadding[r.b], r.last));
}

// ---- KV cache: cache[b, pos + t, kvh, d] = kvNew[b, t, kvh, d] ----
@group(0) @binding(1) var<storage, read_write> cache: array<f32>;
@group(0) @binding(2) var<storage, read> kvNew: array<f32>;

@compute @workgroup_size(WG)
fn kvCacheWrite(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocationIndex(gid, nwg);
  let perBatch = p.T * p.NKV * p.hs;
  if (i >= p.B * perBatch) { return; }
  let b = i / perBatch;
  cache[(b * p.Tkv + p.pos) * p.NKV * p.hs + i % perBatch] = kvNew[i];
}

// ---- backward, per query row: dpreatt = att ⊙ (dout·v − Σ att ⊙ dout·v), dq = scale · dpreatt · k ----
@group(0) @binding(1) var<storage, read_write> dq: array<f32>;
@group(0) @binding(2) var<storage, read_write> dpreatt: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read> kSaved: array<f32>;
@group(0) @binding(5) var<storage, read> vSaved: array<f32>;
@group(0) @binding(6) var<storage, read> attSaved: array<f32>;

@compute @workgroup_size(WG)
fn attentionBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = invocationIndex(gid, nwg);
  if (row >= p.B * p.NH * p.T) { return; }
  let r = rowAt(row);
  let scale = 1.0 / sqrt(f32(p.hs));
  // 1. datt[tk] = dout · v[tk] into the dpreatt row, and D = Σ att · datt
  var D = 0.0;
  for (var tk = 0u; tk <= r.last; tk++) {
    let vb = r.kvBase + tk * r.kvStride;
    var s = 0.0;
    for (var d = 0u; d < p.hs; d++) { s += dout[r.qBase + d] * vSaved[vb + d]; }
    dpreatt[r.attBase + tk] = s;
    D += attSaved[r.attBase + tk] * s;
  }
  // 2. through the softmax; masked keys exactly 0
  for (var tk = 0u; tk <= r.last; tk++) {
    dpreatt[r.attBase + tk] = attSaved[r.attBase + tk] * (dpreatt[r.attBase + tk] - D);
  }
  for (var tk = r.last + 1u; tk < p.Tkv; tk++) { dpreatt[r.attBase + tk] = 0.0; }
  // 3. dq[d] = scale · Σ_tk dpreatt[tk] · k[tk, d]
  for (var d = 0u; d < p.hs; d++) {
    var acc = 0.0;
    for (var tk = 0u; tk <= r.last; tk++) { acc += dpreatt[r.attBase + tk] * kSaved[r.kvBase + tk * r.kvStride + d]; }
    dq[r.qBase + d] = acc * scale;
  }
}

// ---- backward, per element of dk and dv: sums over the group's heads and the queries t >= tk ----
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@group(0) @binding(3) var<storage, read> doutKV: array<f32>;
@group(0) @binding(4) var<storage, read> qKV: array<f32>;
@group(0) @binding(5) var<storage, read> attKV: array<f32>;
@group(0) @binding(6) var<storage, read> dpreattKV: array<f32>;

@compute @workgroup_size(WG)
fn attentionBackwardKV(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocationIndex(gid, nwg);  // ((b·T + tk)·NKV + kvh)·hs + d
  if (i >= p.B * p.T * p.NKV * p.hs) { return; }
  let d = i % p.hs;
  let kvh = (i / p.hs) % p.NKV;
  let tk = (i / (p.hs * p.NKV)) % p.T;
  let b = i / (p.hs * p.NKV * p.T);
  let group = p.NH / p.NKV;
  let scale = 1.0 / sqrt(f32(p.hs));
  var dkAcc = 0.0;
  var dvAcc = 0.0;
  for (var h = kvh * group; h < (kvh + 1u) * group; h++) {
    for (var t = tk; t < p.T; t++) {
      let a = ((b * p.NH + h) * p.T + t) * p.Tkv + tk;
      let qi = ((b * p.T + t) * p.NH + h) * p.hs + d;
      dvAcc += attKV[a] * doutKV[qi];
      dkAcc += dpreattKV[a] * qKV[qi];
    }
  }
  dk[i] = dkAcc * scale;
  dv[i] = dvAcc;
}
