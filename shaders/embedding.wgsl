// Token embedding. tokens: (N) u32 ids, N = B·T; wte, dwte: (V, C) row-major, or one row block
// of a larger table: ids [first, first + V) (a table over the binding cap is stored as blocks,
// one dispatch per block); out, dout: (N, C).
// embeddingForward: one invocation per element of out (256 per workgroup, folded into y past
// 65535 workgroups): out[n, c] = wte[tokens[n] − first, c] for the ids in the block; the others
// are left to their own block's dispatch, or, with zeroOutside (the first block's), written 0
// (so an id past the whole table reads zeros).
// embeddingForwardPacked: the same from a frozen table kept 16-bit, two values per u32.
// embeddingBackward: no atomics. The host groups the positions by token id (CSR, built on the
// CPU by groupTokens in src/gpu/kernels/embedding.ts): unique (N) the distinct ids, offsets (N+1)
// where each id's run starts in positions, positions (N) the rows n of each id in increasing
// order. Slots past the distinct ids are empty runs (offsets[u] == offsets[u+1]) and do nothing.
// One invocation owns one (unique id u, channel c) pair and sums dout[positions[k], c] over its
// run in order, so the result is deterministic; ids outside the block are skipped.
// Writes: out = (the block's ids; with zeroOutside all rows); accumulates: dwte += (only the rows
// of ids that occur).

struct Params {
  N: u32,
  C: u32,
  V: u32,            // ids in this block
  first: u32,        // the block's first id
  zeroOutside: u32,  // forward: 1 to write 0 for ids outside the block
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward: out[n, c] = wte[tokens[n], c] ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> wte: array<f32>;

@compute @workgroup_size(WG)
fn embeddingForward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i - n * p.C;
  let token = tokens[n];
  if (token >= p.first && token - p.first < p.V) {
    out[i] = wte[(token - p.first) * p.C + c];
  } else if (p.zeroOutside != 0u) {
    out[i] = 0.0;
  }
}

// ---- forward from a frozen table kept 16-bit (lib/packed16.wgsl): the same gather, unpacked ----
override BF16: bool = false;
@group(0) @binding(3) var<storage, read> wtePacked: array<u32>;

#include "packed16"

@compute @workgroup_size(WG)
fn embeddingForwardPacked(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i - n * p.C;
  let token = tokens[n];
  if (token >= p.first && token - p.first < p.V) {
    let j = (token - p.first) * p.C + c;
    let pair = unpackPair(wtePacked[j >> 1u]);
    out[i] = select(pair.x, pair.y, (j & 1u) == 1u);
  } else if (p.zeroOutside != 0u) {
    out[i] = 0.0;
  }
}

// ---- backward: dwte[unique[u], c] += sum over k in [offsets[u], offsets[u+1]) of dout[positions[k], c] ----
@group(0) @binding(1) var<storage, read_write> dwte: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> unique: array<u32>;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;
@group(0) @binding(5) var<storage, read> positions: array<u32>;

@compute @workgroup_size(WG)
fn embeddingBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.N * p.C) { return; }
  let u = i / p.C;
  let c = i - u * p.C;
  let begin = offsets[u];
  let end = offsets[u + 1u];
  if (begin >= end) { return; }  // a padding slot past the distinct ids
  let token = unique[u];
  if (token < p.first || token - p.first >= p.V) { return; }
  var sum = 0.0;
  for (var k = begin; k < end; k++) {
    sum += dout[positions[k] * p.C + c];
  }
  dwte[(token - p.first) * p.C + c] += sum;
}
