// RL losses per token: PPO's clipped policy loss with a k3 KL penalty (critic-free group RL or
// PPO), PPO's clipped value loss (GAE), and the deterministic sums the trainer reads back.
// N = B·T tokens, flat. logprob, oldLogprob, refLogprob, advantage, weight, loss, dlogprob,
// value, oldValue, returns, dvalue: (N); stats: (K, N) row-major, one row per statistic
// (policy K = 4: pg, kl, clip, ratio; value K = 2: clip, sqErr); x: (K, N); partials: (K, G) with
// G = ceil(N / CHUNK); sums: (≥ offset + K).
// weight[n] is the token's share of the loss (mask / valid tokens of the whole batch); where it
// is 0 (prompt, padding) loss and the gradient are exactly 0, whatever the other inputs hold.
//
// Policy (ε_l = epsilonLow, ε_h = epsilonHigh, β = beta), with d = logprob − oldLogprob and
// c = refLogprob − logprob, both clamped to ±LOG_RATIO_CLAMP = 20 before exp (so ratio and kl stay
// finite: e^20 ≈ 4.9e8; the clamp is part of the function, so its gradient is 0 beyond ±20, as
// autograd through veRL's torch.clamp gives):
//   ratio = exp(clamp(d)),  clipped = clamp(ratio, 1 − ε_l, 1 + ε_h)
//   pg    = −min(ratio·A, clipped·A)                     (PPO's pessimistic bound)
//   clip  = 1 if (A > 0 and ratio > 1 + ε_h) or (A < 0 and ratio < 1 − ε_l), else 0
//           (the clipped branch is the minimum: pg's gradient is 0 there)
//   kl    = exp(clamp(c)) − clamp(c) − 1 ≥ 0             (Schulman's k3 of KL(π‖π_ref); a series
//           for |c| < 1 avoids the cancellation)
//   loss  = weight·(pg + β·kl)                            (the β term is skipped when β = 0)
//   dlogprob = ∂loss/∂logprob = weight·(−A·ratio·[clip = 0, |d| ≤ 20] + β·(1 − exp(c))·[|c| ≤ 20])
// Value (ε_v = cliprange), with δ = value − oldValue:
//   vclipped = oldValue + clamp(δ, −ε_v, ε_v)  (exactly value where |δ| ≤ ε_v)
//   loss  = weight·0.5·max((value − R)², (vclipped − R)²)
//   clip  = 1 if |δ| > ε_v and (vclipped − R)² > (value − R)², else 0 (veRL's vf_clipfrac)
//   sqErr = (value − R)²
//   dvalue = ∂loss/∂value = weight·(value − R)·[clip = 0]
// Sums: sums[offset + k] = Σ_n x[k, n] (sumPartial) or Σ_n weight[n]·x[k, n] over the tokens with
// weight ≠ 0 (weightedSumPartial: tokens of weight 0 are skipped, so garbage there cannot leak).
//
// Invocations: the loss entry points run one invocation per token, 256 per workgroup, folded into
// y past 65535 workgroups. sumPartial / weightedSumPartial: one 256-wide workgroup per CHUNK =
// 4096 tokens of one row (16 per invocation, strided by 256), K·G workgroups (folded); workgroup
// k·G + g reduces in a fixed tree and writes partials[k·G + g]. sumFinalize: one 256-wide workgroup
// per row k, summing partials[k·G ..] in a fixed order. Every sum has a fixed order: deterministic.
//
// Writes: policyLossForward: loss =, stats = (4 rows); valueLossForward: loss =, stats = (2 rows);
//         policyLossBackward: dlogprob = (+= with ACCUMULATE); valueLossBackward: dvalue = (+=
//         with ACCUMULATE); sumPartial, weightedSumPartial: partials =; sumFinalize: sums[offset..
//         offset + K) =.

struct PolicyParams {
  N: u32,
  epsilonLow: f32,
  epsilonHigh: f32,
  beta: f32,
}

struct ValueParams {
  N: u32,
  cliprange: f32,
}

struct SumParams {
  N: u32,       // tokens per row of x
  K: u32,       // rows
  groups: u32,  // G = ceil(N / CHUNK): partials per row
  offset: u32,  // sumFinalize: where row 0's sum goes in sums
}

const WG: u32 = 256u;
const PER_THREAD: u32 = 16u;
const CHUNK: u32 = WG * PER_THREAD;
const LOG_RATIO_CLAMP: f32 = 20.0;

// dlogprob and dvalue: = (false, the default) or += (true).
override ACCUMULATE: bool = false;

fn tokenIndex(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid.x;
}

// exp(c) − c − 1 for |c| ≤ 20: its Taylor series Σ_{k≥2} c^k/k! below |c| = 1 (error < 1/12!),
// where exp(c) − c − 1 would cancel most of its bits.
fn k3(c: f32) -> f32 {
  if (abs(c) < 1.0) {
    var s = 1.0 / 479001600.0;  // 1/12!
    s = 1.0 / 39916800.0 + c * s;
    s = 1.0 / 3628800.0 + c * s;
    s = 1.0 / 362880.0 + c * s;
    s = 1.0 / 40320.0 + c * s;
    s = 1.0 / 5040.0 + c * s;
    s = 1.0 / 720.0 + c * s;
    s = 1.0 / 120.0 + c * s;
    s = 1.0 / 24.0 + c * s;
    s = 1.0 / 6.0 + c * s;
    s = 0.5 + c * s;
    return c * c * s;
  }
  return exp(c) - c - 1.0;
}

struct PolicyToken {
  pg: f32,
  kl: f32,
  clip: bool,
  ratio: f32,
  dpg: f32,  // ∂pg/∂logprob
  dkl: f32,  // ∂kl/∂logprob
}

fn policyToken(lp: f32, oldLp: f32, refLp: f32, a: f32) -> PolicyToken {
  var t: PolicyToken;
  let d = lp - oldLp;
  t.ratio = exp(clamp(d, -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP));
  let clipped = clamp(t.ratio, 1.0 - pp.epsilonLow, 1.0 + pp.epsilonHigh);
  t.pg = -min(t.ratio * a, clipped * a);
  t.clip = (a > 0.0 && t.ratio > 1.0 + pp.epsilonHigh) || (a < 0.0 && t.ratio < 1.0 - pp.epsilonLow);
  t.dpg = select(0.0, -a * t.ratio, !t.clip && abs(d) <= LOG_RATIO_CLAMP);
  let c = refLp - lp;
  let cc = clamp(c, -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP);
  t.kl = k3(cc);
  // ∂kl/∂logprob = −(exp(c) − 1) = −(c + k3(c)), without the cancellation of 1 − exp(c).
  t.dkl = select(0.0, -(cc + t.kl), abs(c) <= LOG_RATIO_CLAMP);
  return t;
}

@group(0) @binding(0) var<uniform> pp: PolicyParams;

// ---- policy forward: loss = weight·(pg + β·kl); stats = [pg; kl; clip; ratio] ----
@group(0) @binding(1) var<storage, read_write> policyLoss: array<f32>;
@group(0) @binding(2) var<storage, read_write> policyStats: array<f32>;
@group(0) @binding(3) var<storage, read> logprob: array<f32>;
@group(0) @binding(4) var<storage, read> oldLogprob: array<f32>;
@group(0) @binding(5) var<storage, read> refLogprob: array<f32>;
@group(0) @binding(6) var<storage, read> advantage: array<f32>;
@group(0) @binding(7) var<storage, read> weight: array<f32>;

@compute @workgroup_size(WG)
fn policyLossForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let n = tokenIndex(wid, nwg, lid);
  if (n >= pp.N) { return; }
  let t = policyToken(logprob[n], oldLogprob[n], refLogprob[n], advantage[n]);
  let w = weight[n];
  let klTerm = select(0.0, pp.beta * t.kl, pp.beta != 0.0);
  policyLoss[n] = select(w * (t.pg + klTerm), 0.0, w == 0.0);
  policyStats[n] = t.pg;
  policyStats[pp.N + n] = t.kl;
  policyStats[2u * pp.N + n] = select(0.0, 1.0, t.clip);
  policyStats[3u * pp.N + n] = t.ratio;
}

// ---- policy backward: dlogprob (+)= ∂loss/∂logprob ----
@group(0) @binding(1) var<storage, read_write> dlogprob: array<f32>;
@group(0) @binding(2) var<storage, read> logprobB: array<f32>;
@group(0) @binding(3) var<storage, read> oldLogprobB: array<f32>;
@group(0) @binding(4) var<storage, read> refLogprobB: array<f32>;
@group(0) @binding(5) var<storage, read> advantageB: array<f32>;
@group(0) @binding(6) var<storage, read> weightB: array<f32>;

@compute @workgroup_size(WG)
fn policyLossBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_id) lid: vec3u) {
  let n = tokenIndex(wid, nwg, lid);
  if (n >= pp.N) { return; }
  let t = policyToken(logprobB[n], oldLogprobB[n], refLogprobB[n], advantageB[n]);
  let w = weightB[n];
  let klTerm = select(0.0, pp.beta * t.dkl, pp.beta != 0.0);
  let g = select(w * (t.dpg + klTerm), 0.0, w == 0.0);
  if (ACCUMULATE) { dlogprob[n] += g; } else { dlogprob[n] = g; }
}

// ---- value loss ----
@group(0) @binding(0) var<uniform> vp: ValueParams;

struct ValueToken {
  loss: f32,  // 0.5·max of the two squared errors (unweighted)
  clip: bool,
  sqErr: f32,
  dloss: f32,  // ∂loss/∂value (unweighted)
}

fn valueToken(v: f32, oldV: f32, r: f32) -> ValueToken {
  var t: ValueToken;
  let delta = v - oldV;
  let clamped = abs(delta) > vp.cliprange;
  let vclipped = select(v, oldV + clamp(delta, -vp.cliprange, vp.cliprange), clamped);
  let e = v - r;
  let ec = vclipped - r;
  t.sqErr = e * e;
  t.clip = clamped && ec * ec > t.sqErr;
  t.loss = 0.5 * select(t.sqErr, ec * ec, t.clip);
  t.dloss = select(e, 0.0, t.clip);
  return t;
}

// ---- value forward: loss = weight·0.5·max(...); stats = [clip; sqErr] ----
@group(0) @binding(1) var<storage, read_write> valueLoss: array<f32>;
@group(0) @binding(2) var<storage, read_write> valueStats: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> oldValue: array<f32>;
@group(0) @binding(5) var<storage, read> returns: array<f32>;
@group(0) @binding(6) var<storage, read> valueWeight: array<f32>;

@compute @workgroup_size(WG)
fn valueLossForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_id) lid: vec3u) {
  let n = tokenIndex(wid, nwg, lid);
  if (n >= vp.N) { return; }
  let t = valueToken(value[n], oldValue[n], returns[n]);
  let w = valueWeight[n];
  valueLoss[n] = select(w * t.loss, 0.0, w == 0.0);
  valueStats[n] = select(0.0, 1.0, t.clip);
  valueStats[vp.N + n] = t.sqErr;
}

// ---- value backward: dvalue (+)= ∂loss/∂value ----
@group(0) @binding(1) var<storage, read_write> dvalue: array<f32>;
@group(0) @binding(2) var<storage, read> valueB: array<f32>;
@group(0) @binding(3) var<storage, read> oldValueB: array<f32>;
@group(0) @binding(4) var<storage, read> returnsB: array<f32>;
@group(0) @binding(5) var<storage, read> valueWeightB: array<f32>;

@compute @workgroup_size(WG)
fn valueLossBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let n = tokenIndex(wid, nwg, lid);
  if (n >= vp.N) { return; }
  let t = valueToken(valueB[n], oldValueB[n], returnsB[n]);
  let w = valueWeightB[n];
  let g = select(w * t.dloss, 0.0, w == 0.0);
  if (ACCUMULATE) { dvalue[n] += g; } else { dvalue[n] = g; }
}

// ---- sums over tokens: partials, then one finalize workgroup per row ----
@group(0) @binding(0) var<uniform> sp: SumParams;

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

@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> sumWeight: array<f32>;

// partials[k·G + g] = Σ x[k, i] over chunk g of row k.
@compute @workgroup_size(WG)
fn sumPartial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_id) lid: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= sp.K * sp.groups) { return; }  // uniform per workgroup
  let k = group / sp.groups;
  let start = (group % sp.groups) * CHUNK;
  var sum = 0.0;
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = start + j * WG + lid.x;
    if (i < sp.N) { sum += xs[k * sp.N + i]; }
  }
  let total = reduceSum(lid.x, sum);
  if (lid.x == 0u) { partials[group] = total; }
}

// partials[k·G + g] = Σ weight[i]·x[k, i] over chunk g of row k, skipping weight 0.
@compute @workgroup_size(WG)
fn weightedSumPartial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_id) lid: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  if (group >= sp.K * sp.groups) { return; }  // uniform per workgroup
  let k = group / sp.groups;
  let start = (group % sp.groups) * CHUNK;
  var sum = 0.0;
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = start + j * WG + lid.x;
    if (i < sp.N) {
      let w = sumWeight[i];
      if (w != 0.0) { sum += w * xs[k * sp.N + i]; }
    }
  }
  let total = reduceSum(lid.x, sum);
  if (lid.x == 0u) { partials[group] = total; }
}

@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<storage, read> partialsIn: array<f32>;

// sums[offset + k] = Σ_g partials[k·G + g], one workgroup per row.
@compute @workgroup_size(WG)
fn sumFinalize(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = wid.x;
  if (k >= sp.K) { return; }  // uniform per workgroup
  var sum = 0.0;
  for (var i = lid.x; i < sp.groups; i += WG) {
    sum += partialsIn[k * sp.groups + i];
  }
  let total = reduceSum(lid.x, sum);
  if (lid.x == 0u) { sums[sp.offset + k] = total; }
}
