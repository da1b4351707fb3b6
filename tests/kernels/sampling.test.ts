import { describe, expect, it } from 'vitest';
import { randomBits, sampleTokens, type SamplingOptions } from '../../src/gpu/kernels/sampling.ts';
import * as ref from '../reference/sampling.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { randn } from '../helpers/random.ts';
import { testGpu, upload } from '../helpers/testGpu.ts';
import type { Gpu, Tensor } from '../../src/gpu/gpu.ts';

async function sample(gpu: Gpu, logits: Tensor, N: number, V: number, options: SamplingOptions) {
  const tokens = gpu.tensor([N], 'tokens');
  const logprob = gpu.tensor([N], 'logprob');
  const nonFinite = gpu.tensor([N], 'non-finite rows');
  gpu.clear([nonFinite]);
  gpu.run([sampleTokens(gpu, tokens, logprob, nonFinite, logits, N, V, options)]);
  const out = { tokens: await gpu.readU32(tokens), logprob: await gpu.readF32(logprob), nonFinite: await gpu.readU32(nonFinite) };
  gpu.release(tokens, logprob, nonFinite);
  return out;
}

/** `rows` copies of one row of logits, so one dispatch draws many samples of one distribution. */
function repeatRow(row: Float64Array, rows: number): Float64Array {
  const out = new Float64Array(rows * row.length);
  for (let n = 0; n < rows; n++) out.set(row, n * row.length);
  return out;
}

/** Rows where the GPU and the reference (same Philox words, float64 arithmetic) drew differently. */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

/**
 * Pearson's chi-square of the token counts against `probs` (bins with expected count < 5 merged
 * into one), and its 0.1% critical value (Wilson–Hilferty). The draws come from a fixed seed, so
 * the outcome is deterministic: the test cannot flake.
 */
function chiSquare(tokens: ArrayLike<number>, probs: ArrayLike<number>) {
  const n = tokens.length;
  const counts = new Float64Array(probs.length);
  for (let i = 0; i < n; i++) counts[tokens[i]!]!++;
  let stat = 0;
  let bins = 0;
  let restObserved = 0;
  let restExpected = 0;
  for (let v = 0; v < probs.length; v++) {
    const expected = n * probs[v]!;
    if (expected === 0) continue;
    if (expected < 5) {
      restObserved += counts[v]!;
      restExpected += expected;
    } else {
      stat += (counts[v]! - expected) ** 2 / expected;
      bins++;
    }
  }
  if (restExpected > 0) {
    stat += (restObserved - restExpected) ** 2 / restExpected;
    bins++;
  }
  const df = bins - 1;
  const z = 3.09; // the normal's 99.9% quantile
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { stat, critical, df };
}

describe('sampling', () => {
  it("Philox-4x32-10 matches Random123's known answers, and the GPU draws the same words", async () => {
    // Random123's kat_vectors for philox4x32_10
    expect(ref.philox4x32_10([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(ref.philox4x32_10([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ]);
    expect(ref.philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
    const gpu = await testGpu();
    const N = 70;
    const bits = gpu.tensor([N, 4], 'bits');
    for (const [seed, step] of [
      [0, 0],
      [12345, 7],
      [0xffffffff, 0xfffffffe],
    ] as const) {
      gpu.run([randomBits(gpu, bits, N, seed, step)]);
      const got = await gpu.readU32(bits);
      expect(Array.from(got)).toEqual(Array.from(ref.randomBits(N, seed, step)));
    }
  });

  it('a fixed seed reproduces exactly, the next step draws anew, both as the reference draws', async () => {
    const gpu = await testGpu();
    const [N, V] = [64, 300]; // V > 256: strided passes and several chunks per row
    const logits = randn(N * V, 41, 2);
    const logitsT = upload(gpu, [N, V], logits);
    const options = { temperature: 0.9, topK: 50, topP: 0.9, seed: 2024, step: 3 };
    const tokens = gpu.tensor([N], 'tokens');
    const logprob = gpu.tensor([N], 'logprob');
    const nonFinite = gpu.tensor([N], 'non-finite rows');
    gpu.clear([nonFinite]);
    const sampler = sampleTokens(gpu, tokens, logprob, nonFinite, logitsT, N, V, options);
    gpu.run([sampler]);
    const first = await gpu.readU32(tokens);
    const firstLogprob = await gpu.readF32(logprob);
    gpu.run([sampler]);
    const again = await gpu.readU32(tokens);
    sampler.setStep(4);
    gpu.run([sampler]);
    const next = await gpu.readU32(tokens);

    expect(Array.from(again)).toEqual(Array.from(first));
    expect(mismatches(first, next)).toBeGreaterThan(N / 2);
    const expected = ref.sampleTokens(logits, N, V, options);
    const expectedNext = ref.sampleTokens(logits, N, V, { ...options, step: 4 });
    expect(Array.from(first)).toEqual(Array.from(expected.tokens));
    expect(Array.from(next)).toEqual(Array.from(expectedNext.tokens));
    expectClose(firstLogprob, expected.logprob, scaledTolerance(expected.logprob, 1e-5), 'logprob');
    for (let n = 0; n < N; n++) expect(expected.probs[n * V + first[n]!]).toBeGreaterThan(0);
  });

  it('temperature 0 and top-k = 1 give the argmax, ties to the lowest id', async () => {
    const gpu = await testGpu();
    const [N, V] = [6, 300];
    const logits = randn(N * V, 42, 2);
    logits[0 * V + 7] = 9; // row 0: a tie at 7 and 250, across two strides of the workgroup
    logits[0 * V + 250] = 9;
    logits[1 * V + 299] = 9; // row 1: the max in the ragged tail
    for (let v = 0; v < V; v++) logits[2 * V + v] = -3; // row 2: all tied, so id 0
    const logitsT = upload(gpu, [N, V], logits);
    const argmax = [7, 299, 0];
    for (const options of [
      { temperature: 0, seed: 1 },
      { temperature: 0.5, topK: 1, seed: 1 },
    ]) {
      const got = await sample(gpu, logitsT, N, V, options);
      const expected = ref.sampleTokens(logits, N, V, options);
      expect(Array.from(got.tokens)).toEqual(Array.from(expected.tokens));
      expect(Array.from(got.tokens.subarray(0, 3))).toEqual(argmax);
      expectClose(got.logprob, expected.logprob, scaledTolerance(expected.logprob, 1e-5), 'logprob');
    }
  });

  it('never samples a row holding NaN or ±Inf: token 0, logprob NaN, and the step it was first seen at', async () => {
    const gpu = await testGpu();
    const [N, V] = [5, 300];
    const logits = randn(N * V, 45, 2);
    logits[1 * V + 17] = NaN;
    logits[2 * V + 299] = Infinity; // in the ragged tail of the workgroup's strides
    logits[3 * V + 0] = -Infinity;
    const bad = [1, 2, 3];
    const logitsT = upload(gpu, [N, V], logits);
    const tokens = gpu.tensor([N], 'tokens');
    const logprob = gpu.tensor([N], 'logprob');
    const nonFinite = gpu.tensor([N], 'non-finite rows');
    gpu.clear([nonFinite]);
    for (const options of [
      { temperature: 0, seed: 1, step: 2 },
      { temperature: 0.9, topK: 50, topP: 0.9, seed: 3, step: 6 },
    ]) {
      const sampler = sampleTokens(gpu, tokens, logprob, nonFinite, logitsT, N, V, options);
      gpu.run([sampler]);
      const got = { tokens: await gpu.readU32(tokens), logprob: await gpu.readF32(logprob), nonFinite: await gpu.readU32(nonFinite) };
      // Each row draws from its own logits and Philox counter: the finite rows as the reference.
      const expected = ref.sampleTokens(Float64Array.from(logits, (x) => (Number.isFinite(x) ? x : 0)), N, V, options);
      expect([got.tokens[0], got.tokens[4]]).toEqual([expected.tokens[0], expected.tokens[4]]);
      for (const n of bad) {
        expect(got.tokens[n]).toBe(0);
        expect(got.logprob[n]).toBeNaN();
      }
      // Set once, at the first step that saw it (2 + 1); finite rows stay 0.
      expect(Array.from(got.nonFinite)).toEqual([0, 3, 3, 3, 0]);
    }
    gpu.release(tokens, logprob, nonFinite, logitsT);
  });

  // Copies of one row in one dispatch: each row has its own Philox counter, so these are
  // independent draws (4000 for the full softmax, fewer for the truncated ones with fewer bins,
  // to keep the test quick on SwiftShader). V = 37 is not a multiple of the workgroup.
  const V = 37;
  const row = randn(V, 43, 1.5);
  for (const [rows, options] of [
    [4000, { temperature: 0.8, seed: 7 }],
    [2000, { temperature: 1.2, topK: 5, seed: 8 }],
    [2000, { temperature: 1, topP: 0.6, seed: 9 }],
    [1500, { temperature: 0.7, topK: 12, topP: 0.8, seed: 10 }],
  ] as const) {
    it(`${rows} draws follow the (truncated, renormalised) softmax: ${JSON.stringify(options)}`, async () => {
      const gpu = await testGpu();
      const logits = repeatRow(row, rows);
      const got = await sample(gpu, upload(gpu, [rows, V], logits), rows, V, options);
      const expected = ref.sampleTokens(logits, rows, V, options);
      const probs = expected.probs.subarray(0, V);
      // tokens the truncation drops never appear (and the truncation keeps what it should)
      const kept = Array.from(probs, (q, v) => (q > 0 ? v : -1)).filter((v) => v >= 0);
      const o: SamplingOptions = options;
      if (!o.topP) expect(kept.length).toBe(o.topK ?? V);
      expect(Array.from(got.tokens).filter((t) => !kept.includes(t))).toEqual([]);
      // the same draws as the reference, up to f32 rounding at a CDF boundary (none expected)
      expect(mismatches(got.tokens, expected.tokens)).toBeLessThanOrEqual(4);
      const { stat, critical } = chiSquare(got.tokens, probs);
      expect(stat).toBeLessThan(critical);
    });
  }

  // V ≥ 4096 runs the 256-wide workgroup (the shorter rows above run 64-wide).
  it('top-p on a long vocabulary (V = 5000) keeps the reference nucleus', async () => {
    const gpu = await testGpu();
    const [N, V5] = [4, 5000];
    const logits = randn(N * V5, 44, 3);
    const options = { temperature: 1, topP: 0.5, seed: 11, step: 1 };
    const got = await sample(gpu, upload(gpu, [N, V5], logits), N, V5, options);
    const expected = ref.sampleTokens(logits, N, V5, options);
    expect(Array.from(got.tokens)).toEqual(Array.from(expected.tokens));
    expectClose(got.logprob, expected.logprob, scaledTolerance(expected.logprob, 1e-4), 'logprob');
  });
});
