// Philox-4x32-10 (Salmon et al. 2011, Random123's constants): a counter-based RNG, 10 rounds,
// 4 words of 32 bits per (counter, key). Included by sampling.wgsl and dropout.wgsl
// (`#include "philox"`, resolved by shaderSources.ts); tests/reference/sampling.ts is its
// plain reference.

// (hi, lo) words of the 64-bit product a · b, from 16-bit halves (WGSL has no 64-bit integers).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2u(a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u), a * b);
}

fn philox4x32_10(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) { k += vec2u(0x9e3779b9u, 0xbb67ae85u); }
    let r0 = mulhilo(0xd2511f53u, c.x);
    let r1 = mulhilo(0xcd9e8d57u, c.z);
    c = vec4u(r1.x ^ c.y ^ k.x, r1.y, r0.x ^ c.w ^ k.y, r0.y);
  }
  return c;
}
