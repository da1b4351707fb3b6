// Token sampling on the GPU. logits: (N, V) row-major; tokens: (N) u32; logprob: (N);
// nonFinite: (N) u32; bits: (N, 4) u32.
// sampleTokens: one workgroup of WG = LANES² invocations per row (256, or 64 for V < 4096: the
// launcher's choice). z = logits · invTemperature; invTemperature = 0 (temperature 0) or topK = 1
// is greedy: the argmax of z, ties to the lowest id. Otherwise:
//  1. m = max z, S = Σ exp(z − m), e = exp(z − m) (unnormalised probabilities, the max is 1).
//  2. A token is kept when key(z) ≥ θ, key(·) the order-preserving u32 of an f32, so tokens tied
//     in z are kept or dropped together (ties at the boundary can keep more than k tokens, or
//     more mass than p). No sort: θ is searched bit by bit from the top, 3 bits a pass (11 passes
//     over the row, each measuring the 7 candidates of the next digit in one 8-wide reduction).
//     top-k (0 = off): the largest θ with #{key ≥ θ} ≥ k, i.e. the k-th largest key.
//     top-p (1 = off), after top-k, on its renormalised distribution: the largest θ with
//     Σ_{key ≥ θ, kept by top-k} e ≥ p · M_k (M_k the top-k mass), i.e. the fewest most
//     probable tokens holding at least p of it.
//  3. u from Philox-4x32-10 with counter (row, step, 0, 0) and key (seed, 0): u = (x0 >> 8) · 2^−24
//     in [0, 1). Inverse CDF in id order over the kept tokens: each invocation sums the kept e of
//     a contiguous chunk of ⌈V / WG⌉ ids, an exclusive scan orders the chunks, and the chunk that
//     holds r = u · M (M the kept total) walks its ids to the first whose running sum exceeds r.
// logprob = z[token] − lse (lse over all of z, before top-k/top-p: what logprobForward gives at
// the same temperature); greedy rows at temperature 0 take it at temperature 1.
// A row with a NaN or ±Inf in z is not sampled: its token is 0 (an id the next step can embed),
// its logprob NaN, and nonFinite[row] keeps the first step + 1 it was seen at (0: never), for the
// host to report. The test looks at the bits, as WGSL lets compilers assume values are finite.
// Reductions are two-level (WG → LANES → 1, two barriers each), all f32 and in a fixed order, so
// the same seed and step give the same tokens. Counts are f32: V < 2^24.
// randomBits: one invocation per row, bits[n] = Philox-4x32-10((n, step, 0, 0), (seed, 0)): the
// words sampleTokens draws from, for tests (and any other seeded use).
// Writes: sampleTokens: tokens =, logprob =, nonFinite (set once); randomBits: bits =.

struct Params {
  N: u32,
  V: u32,
  invTemperature: f32,
  topK: u32,
  topP: f32,
  seed: u32,
  step: u32,
}

// The launcher picks 16 · 16 = 256 invocations per row for long vocabularies, 8 · 8 = 64 for short.
override LANES: u32 = 16u;
override WG: u32 = LANES * LANES;
const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> p: Params;

#include "philox"

fn philoxRow(row: u32) -> vec4u {
  return philox4x32_10(vec4u(row, p.step, 0u, 0u), vec2u(p.seed, 0u));
}

@group(0) @binding(1) var<storage, read_write> bits: array<vec4u>;

@compute @workgroup_size(64)
fn randomBits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  bits[row] = philoxRow(row);
}

// ---- sampleTokens ------------------------------------------------------------------------------
@group(0) @binding(1) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> logprob: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> nonFinite: array<u32>;

// Exponent bits all ones: NaN or ±Inf.
fn isNonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

var<workgroup> sharedA: array<vec4f, WG>;
var<workgroup> sharedB: array<vec4f, WG>;
var<workgroup> sharedU: array<u32, WG>;
var<workgroup> laneA: array<vec4f, LANES>;
var<workgroup> laneB: array<vec4f, LANES>;
var<workgroup> laneU: array<u32, LANES>;

struct Sum8 {
  a: vec4f,
  b: vec4f,
}

// Eight sums at once, WG → LANES → 1: every invocation gets the same totals, summed in the same order.
fn reduceSum8(lid: u32, a: vec4f, b: vec4f) -> Sum8 {
  sharedA[lid] = a;
  sharedB[lid] = b;
  workgroupBarrier();
  if (lid < LANES) {
    var sa = vec4f(0.0);
    var sb = vec4f(0.0);
    for (var i = 0u; i < LANES; i++) {
      sa += sharedA[lid * LANES + i];
      sb += sharedB[lid * LANES + i];
    }
    laneA[lid] = sa;
    laneB[lid] = sb;
  }
  workgroupBarrier();
  var total = Sum8(vec4f(0.0), vec4f(0.0));
  for (var i = 0u; i < LANES; i++) {
    total.a += laneA[i];
    total.b += laneB[i];
  }
  return total;
}

fn reduceSum(lid: u32, value: f32) -> f32 {
  return reduceSum8(lid, vec4f(value, 0.0, 0.0, 0.0), vec4f(0.0)).a.x;
}

fn reduceMaxU(lid: u32, value: u32) -> u32 {
  sharedU[lid] = value;
  workgroupBarrier();
  if (lid < LANES) {
    var s = 0u;
    for (var i = 0u; i < LANES; i++) { s = max(s, sharedU[lid * LANES + i]); }
    laneU[lid] = s;
  }
  workgroupBarrier();
  var total = 0u;
  for (var i = 0u; i < LANES; i++) { total = max(total, laneU[i]); }
  return total;
}

// (value, id) with the larger value, ties to the lower id; id NONE is empty.
fn better(a: f32, ia: u32, b: f32, ib: u32) -> bool {
  return ib != NONE && (ia == NONE || b > a || (b == a && ib < ia));
}

fn reduceArgmax(lid: u32, value: f32, id: u32) -> vec2f {  // (max, bitcast id)
  sharedA[lid] = vec4f(value, bitcast<f32>(id), 0.0, 0.0);
  workgroupBarrier();
  if (lid < LANES) {
    var best = sharedA[lid * LANES];
    for (var i = 1u; i < LANES; i++) {
      let other = sharedA[lid * LANES + i];
      if (better(best.x, bitcast<u32>(best.y), other.x, bitcast<u32>(other.y))) { best = other; }
    }
    laneA[lid] = best;
  }
  workgroupBarrier();
  var best = laneA[0];
  for (var i = 1u; i < LANES; i++) {
    if (better(best.x, bitcast<u32>(best.y), laneA[i].x, bitcast<u32>(laneA[i].y))) { best = laneA[i]; }
  }
  return best.xy;
}

// Order-preserving map of f32 to u32 (−0 and +0 both map to the key of +0).
fn orderKey(z: f32) -> u32 {
  if (z == 0.0) { return 0x80000000u; }
  let b = bitcast<u32>(z);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// The largest key θ with measure(θ) ≥ needed, where measure(t) = Σ w over the row's tokens with
// key ≥ max(t, floor), w = 1 (a count) or exp(z − m) (a mass); measure falls as t grows. Built
// three bits at a time from the top (11 passes): each pass measures the 7 candidates of the next
// digit at once and keeps the largest that holds.
fn searchThreshold(lid: u32, base: u32, scale: f32, m: f32, floor: u32, mass: bool, needed: f32) -> u32 {
  var theta = 0u;
  var hiBit = 32u;
  while (hiBit > 0u) {
    let width = min(3u, hiBit);
    let shift = hiBit - width;
    let low = max(theta, floor);
    let candA = max(vec4u(theta) | (vec4u(1u, 2u, 3u, 4u) << vec4u(shift)), vec4u(floor));
    let candB = max(vec4u(theta) | (vec4u(5u, 6u, 7u, 0u) << vec4u(shift)), vec4u(floor));
    var a = vec4f(0.0);
    var b = vec4f(0.0);
    for (var v = lid; v < p.V; v += WG) {
      let z = logits[base + v] * scale;
      let key = orderKey(z);
      if (key >= low) {
        let w = select(1.0, exp(z - m), mass);
        a += select(vec4f(0.0), vec4f(w), vec4u(key) >= candA);
        b += select(vec4f(0.0), vec4f(w), vec4u(key) >= candB);
      }
    }
    let measured = reduceSum8(lid, a, b);
    let byDigit = array<f32, 8>(0.0, measured.a.x, measured.a.y, measured.a.z, measured.a.w,
                                measured.b.x, measured.b.y, measured.b.z);
    var digit = 0u;
    for (var j = 1u; j < (1u << width); j++) {
      if (byDigit[j] >= needed) { digit = j; }
    }
    theta |= digit << shift;
    hiBit = shift;
  }
  return theta;
}

@compute @workgroup_size(WG)
fn sampleTokens(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_id) lidv: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }  // uniform per workgroup, so barriers stay uniform
  let lid = lidv.x;
  let base = row * p.V;
  let V = p.V;
  let greedy = p.invTemperature == 0.0 || p.topK == 1u;
  let scale = select(p.invTemperature, 1.0, p.invTemperature == 0.0);

  // 1. max and argmax of z, then S = Σ exp(z − m)
  var best = 0.0;
  var bestId = NONE;
  var sawNonFinite = 0u;
  for (var v = lid; v < V; v += WG) {
    let z = logits[base + v] * scale;
    sawNonFinite = select(sawNonFinite, 1u, isNonFinite(z));
    if (better(best, bestId, z, v)) {
      best = z;
      bestId = v;
    }
  }
  let rowNonFinite = reduceMaxU(lid, sawNonFinite) != 0u;
  if (rowNonFinite && lid == 0u) {
    tokens[row] = 0u;
    // A quiet NaN, made at run time: a NaN constant does not compile in WGSL.
    logprob[row] = bitcast<f32>(bitcast<u32>(logprob[row]) | 0x7fc00000u);
    if (nonFinite[row] == 0u) { nonFinite[row] = p.step + 1u; }
  }
  let arg = reduceArgmax(lid, best, bestId);
  let m = arg.x;
  var s = 0.0;
  for (var v = lid; v < V; v += WG) { s += exp(logits[base + v] * scale - m); }
  let logS = log(reduceSum(lid, s));

  if (greedy) {
    if (lid == 0u && !rowNonFinite) {
      tokens[row] = bitcast<u32>(arg.y);
      logprob[row] = -logS;  // z[argmax] = m
    }
    return;
  }

  // 2. the threshold θ on key(z): top-k, then top-p
  var theta = 0u;
  if (p.topK > 0u && p.topK < V) {
    theta = searchThreshold(lid, base, scale, m, 0u, false, f32(p.topK));
  }
  if (p.topP < 1.0) {
    var kept = 0.0;
    for (var v = lid; v < V; v += WG) {
      let z = logits[base + v] * scale;
      if (orderKey(z) >= theta) { kept += exp(z - m); }
    }
    // (at least the top token's e = 1 is needed, so a tiny p keeps just the argmax and its ties)
    let needed = max(p.topP * reduceSum(lid, kept), 1e-30);
    theta = searchThreshold(lid, base, scale, m, theta, true, needed);
  }

  // 3. inverse CDF over the kept tokens in id order: chunk sums, their exclusive scan (each of
  // LANES lanes scans LANES chunks, then the lane totals), the chunk owning r, a walk through it.
  let chunk = (V + WG - 1u) / WG;
  let begin = min(lid * chunk, V);
  let end = min(begin + chunk, V);
  var own = 0.0;
  for (var v = begin; v < end; v++) {
    let z = logits[base + v] * scale;
    if (orderKey(z) >= theta) { own += exp(z - m); }
  }
  sharedA[lid] = vec4f(own, 0.0, 0.0, 0.0);
  workgroupBarrier();
  if (lid < LANES) {
    var run = 0.0;
    for (var i = 0u; i < LANES; i++) {
      sharedA[lid * LANES + i].y = run;  // exclusive, within the lane
      run += sharedA[lid * LANES + i].x;
    }
    laneA[lid] = vec4f(run, 0.0, 0.0, 0.0);
  }
  workgroupBarrier();
  var before = sharedA[lid].y;
  var total = 0.0;
  for (var i = 0u; i < LANES; i++) {
    if (i == lid / LANES) { before += total; }
    total += laneA[i].x;
  }
  let u = f32(philoxRow(row).x >> 8u) * (1.0 / 16777216.0);
  let r = u * total;
  // The chunk owning r: the last non-empty chunk starting at or below it (one always exists: the
  // first non-empty chunk starts at 0), robust to rounding in the scan.
  let owner = reduceMaxU(lid, select(0u, lid, own > 0.0 && before <= r));
  if (lid == owner && !rowNonFinite) {
    let goal = r - before;
    var acc = 0.0;
    var token = NONE;
    var last = NONE;
    for (var v = begin; v < end; v++) {
      let z = logits[base + v] * scale;
      if (orderKey(z) >= theta) {
        let e = exp(z - m);
        if (e > 0.0) { last = v; }
        acc += e;
        if (acc > goal) {
          token = v;
          break;
        }
      }
    }
    if (token == NONE) { token = last; }  // r rounded past this chunk's sum
    tokens[row] = token;
    logprob[row] = (logits[base + token] * scale - m) - logS;
  }
}
