import { describe, expect, it } from 'vitest';
import {
  POLICY_STAT,
  POLICY_STATS,
  POLICY_SUM,
  POLICY_SUMS,
  VALUE_STAT,
  VALUE_STATS,
  VALUE_SUM,
  VALUE_SUMS,
  policyLossBackward,
  policyLossForward,
  policyLossSums,
  sumPartialCount,
  sumReduce,
  valueLossBackward,
  valueLossForward,
  valueLossSums,
} from '../../src/gpu/kernels/policyloss.ts';
import { seededRandom } from '../../src/util/random.ts';
import * as ref from '../reference/policyloss.ts';
import { expectClose, scaledTolerance, type Tolerance } from '../helpers/compare.ts';
import { numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';
import type { Gpu, Tensor } from '../../src/gpu/gpu.ts';

const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);
const row = (a: Float32Array, k: number, N: number) => a.subarray(k * N, (k + 1) * N);
function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** A sum's tolerance: relative `rel` of Σ|terms|, since a sum of mixed signs may cancel to ≈ 0. */
function sumTolerance(x: ArrayLike<number>, weight: ArrayLike<number> | null, K: number, N: number, rel: number): Tolerance {
  const abs = Float64Array.from({ length: K * N }, (_, i) => Math.abs(x[i]!));
  const w = weight && Float64Array.from({ length: N }, (_, n) => Math.abs(weight[n]!));
  return { atol: rel * Math.max(...ref.sumReduce(abs, w, K, N)), rtol: rel };
}

/** Token-level weights: a mask with about `zeros` of the tokens off, the rest 1 / valid tokens. */
function tokenWeights(N: number, seed: number, zeros = 0.3): Float64Array {
  const next = seededRandom(seed);
  const mask = Array.from({ length: N }, () => (next() < zeros ? 0 : 1));
  mask[N - 1] = 1; // the last token, in the ragged tail of the last workgroup
  const valid = sum(mask);
  return Float64Array.from(mask, (m) => (m ? Math.fround(1 / valid) : 0));
}

const POLICY = { epsilonLow: 0.2, epsilonHigh: 0.28 }; // DAPO's clip-higher

/**
 * Log-probs with logprob − oldLogprob spread over −0.5..0.5 (ratios 0.61..1.65: both sides of
 * both clip bounds), each ratio more than 2e-3 from the kinks 1 − ε_l and 1 + ε_h so that finite
 * differences are valid; advantages of both signs (every 17th exactly 0); a reference policy
 * within about ±0.3 nats; weights with zeros. All rounded to f32, as the GPU sees them.
 */
function policyData(N: number, seed: number) {
  const next = seededRandom(seed);
  const logprob = Float64Array.from(randn(N, seed + 1), (z) => Math.fround(-0.1 - 2 * Math.abs(z)));
  const oldLogprob = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let d = next() - 0.5;
    for (;;) {
      oldLogprob[n] = Math.fround(logprob[n]! - d);
      const r = Math.exp(logprob[n]! - oldLogprob[n]!);
      if (Math.abs(r - (1 - POLICY.epsilonLow)) > 2e-3 && Math.abs(r - (1 + POLICY.epsilonHigh)) > 2e-3) break;
      d += 0.01;
    }
  }
  const noise = randn(N, seed + 2, 0.3);
  const refLogprob = Float64Array.from(logprob, (lp, n) => Math.fround(lp + noise[n]!));
  const advantage = randn(N, seed + 3);
  for (let n = 0; n < N; n += 17) advantage[n] = 0;
  return { logprob, oldLogprob, refLogprob, advantage, weight: tokenWeights(N, seed + 4) };
}

type PolicyData = ReturnType<typeof policyData>;

function uploadPolicy(gpu: Gpu, N: number, d: PolicyData) {
  return {
    logprob: upload(gpu, [N], d.logprob, 'logprob'),
    oldLogprob: upload(gpu, [N], d.oldLogprob, 'oldLogprob'),
    refLogprob: upload(gpu, [N], d.refLogprob, 'refLogprob'),
    advantage: upload(gpu, [N], d.advantage, 'advantage'),
    weight: upload(gpu, [N], d.weight, 'weight'),
  };
}

/**
 * Value predictions with value − oldValue over −0.4..0.4 around cliprange 0.2 (more than 1e-3
 * from it), and, where clipping is active, the two squared errors more than 1e-3 apart (away from
 * the kink of the max); returns and weights with zeros.
 */
function valueData(N: number, seed: number, cliprange: number) {
  const next = seededRandom(seed);
  const value = randn(N, seed + 1);
  const returns = randn(N, seed + 2);
  const oldValue = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let d = 0.8 * (next() - 0.5);
    for (;;) {
      oldValue[n] = Math.fround(value[n]! - d);
      const delta = value[n]! - oldValue[n]!;
      const vclipped = oldValue[n]! + Math.min(Math.max(delta, -cliprange), cliprange);
      const gap = Math.abs((value[n]! - returns[n]!) ** 2 - (vclipped - returns[n]!) ** 2);
      if (Math.abs(Math.abs(delta) - cliprange) > 1e-3 && (Math.abs(delta) <= cliprange || gap > 1e-3)) break;
      d += 0.013;
    }
  }
  return { value, oldValue, returns, weight: tokenWeights(N, seed + 3) };
}

describe('policyloss', () => {
  // N = 1000 and 37 are not multiples of the 256-wide workgroup.
  for (const N of [1000, 37]) {
    for (const beta of [0, 0.04]) {
      const o = { ...POLICY, beta };

      it(`policy forward matches the float64 reference (N=${N}, beta=${beta})`, async () => {
        const gpu = await testGpu();
        const d = policyData(N, 10 + N);
        const t = uploadPolicy(gpu, N, d);
        const loss = gpu.tensor([N], 'loss');
        const stats = gpu.tensor([POLICY_STATS, N], 'stats');
        const [gotLoss, gotStats] = await runAndRead(
          gpu,
          [policyLossForward(gpu, loss, stats, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o)],
          loss,
          stats,
        );
        const e = ref.policyLossForward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
        expectClose(gotLoss!, e.loss, scaledTolerance(e.loss, 1e-5), 'loss');
        expectClose(row(gotStats!, POLICY_STAT.pg, N), e.pg, scaledTolerance(e.pg, 1e-5), 'pg');
        expectClose(row(gotStats!, POLICY_STAT.kl, N), e.kl, scaledTolerance(e.kl, 1e-5), 'kl');
        expectClose(row(gotStats!, POLICY_STAT.clip, N), e.clip, { atol: 0, rtol: 0 }, 'clip');
        expectClose(row(gotStats!, POLICY_STAT.ratio, N), e.ratio, scaledTolerance(e.ratio, 1e-5), 'ratio');
        // The data reach every case: both clip states, both advantage signs, zero weights, kl > 0.
        if (N === 1000) {
          const clipped = sum(e.clip);
          expect(clipped).toBeGreaterThan(50);
          expect(clipped).toBeLessThan(N - 50);
          expect(e.ratio.some((r) => r < 1 - o.epsilonLow) && e.ratio.some((r) => r > 1 + o.epsilonHigh)).toBe(true);
          expect(d.weight.filter((w) => w === 0).length).toBeGreaterThan(100);
        }
        expect(Math.min(...e.kl)).toBeGreaterThanOrEqual(0);
        for (let n = 0; n < N; n++) if (d.weight[n] === 0) expect(gotLoss![n]).toBe(0);
      });

      it(`policy backward matches the reference and finite differences (N=${N}, beta=${beta})`, async () => {
        const gpu = await testGpu();
        const d = policyData(N, 20 + N);
        const t = uploadPolicy(gpu, N, d);
        const dlogprob = upload(gpu, [N], randn(N, 5, 100), 'dlogprob'); // garbage: = overwrites it
        const [got] = await runAndRead(
          gpu,
          [policyLossBackward(gpu, dlogprob, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o)],
          dlogprob,
        );
        const expected = ref.policyLossBackward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
        const fd = numericalGradient(
          (lp) => sum(ref.policyLossForward(lp, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o).loss),
          d.logprob,
        );
        expectClose(got!, expected, scaledTolerance(expected, 1e-5), 'dlogprob vs reference');
        expectClose(got!, fd, scaledTolerance(fd, 1e-3), 'dlogprob vs finite differences');
      });
    }
  }

  it('policy backward with accumulate: true adds (+=)', async () => {
    const gpu = await testGpu();
    const N = 300;
    const o = { ...POLICY, beta: 0.1, accumulate: true };
    const d = policyData(N, 30);
    const t = uploadPolicy(gpu, N, d);
    const start = randn(N, 31);
    const dlogprob = upload(gpu, [N], start, 'dlogprob');
    const [got] = await runAndRead(
      gpu,
      [policyLossBackward(gpu, dlogprob, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o)],
      dlogprob,
    );
    const expected = ref.policyLossBackward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
    expectClose(minus(got!, start), expected, scaledTolerance(expected, 1e-5), 'dlogprob (+=)');
  });

  for (const N of [777, 50]) {
    const cliprange = 0.2;

    it(`value forward matches the float64 reference (N=${N})`, async () => {
      const gpu = await testGpu();
      const d = valueData(N, 40 + N, cliprange);
      const loss = gpu.tensor([N], 'value loss');
      const stats = gpu.tensor([VALUE_STATS, N], 'value stats');
      const [gotLoss, gotStats] = await runAndRead(
        gpu,
        [
          valueLossForward(
            gpu,
            loss,
            stats,
            upload(gpu, [N], d.value),
            upload(gpu, [N], d.oldValue),
            upload(gpu, [N], d.returns),
            upload(gpu, [N], d.weight),
            N,
            cliprange,
          ),
        ],
        loss,
        stats,
      );
      const e = ref.valueLossForward(d.value, d.oldValue, d.returns, d.weight, N, cliprange);
      expectClose(gotLoss!, e.loss, scaledTolerance(e.loss, 1e-5), 'value loss');
      expectClose(row(gotStats!, VALUE_STAT.clip, N), e.clip, { atol: 0, rtol: 0 }, 'value clip');
      expectClose(row(gotStats!, VALUE_STAT.sqErr, N), e.sqErr, scaledTolerance(e.sqErr, 1e-5), 'sqErr');
      if (N === 777) {
        // Both clip states, and active clipping where the unclipped branch is the max.
        expect(sum(e.clip)).toBeGreaterThan(50);
        expect(sum(e.clip)).toBeLessThan(N - 50);
        const activeUnclipped = d.value.filter((v, n) => Math.abs(v - d.oldValue[n]!) > cliprange && e.clip[n] === 0);
        expect(activeUnclipped.length).toBeGreaterThan(50);
      }
    });

    for (const accumulate of [false, true]) {
      it(`value backward matches the reference and finite differences (N=${N}, ${accumulate ? '+=' : '='})`, async () => {
        const gpu = await testGpu();
        const d = valueData(N, 50 + N, cliprange);
        const start = randn(N, 51, 100);
        const dvalue = upload(gpu, [N], start, 'dvalue');
        const [got] = await runAndRead(
          gpu,
          [
            valueLossBackward(
              gpu,
              dvalue,
              upload(gpu, [N], d.value),
              upload(gpu, [N], d.oldValue),
              upload(gpu, [N], d.returns),
              upload(gpu, [N], d.weight),
              N,
              cliprange,
              { accumulate },
            ),
          ],
          dvalue,
        );
        const delta = accumulate ? minus(got!, start) : Float64Array.from(got!);
        const expected = ref.valueLossBackward(d.value, d.oldValue, d.returns, d.weight, N, cliprange);
        const fd = numericalGradient((v) => sum(ref.valueLossForward(v, d.oldValue, d.returns, d.weight, N, cliprange).loss), d.value);
        // += onto values of ±100: the f32 sum rounds to 100·2^-24, so compare at that scale.
        const tol = accumulate ? { atol: 1e-5 * Math.max(...start.map(Math.abs)), rtol: 0 } : scaledTolerance(expected, 1e-5);
        expectClose(delta, expected, tol, 'dvalue vs reference');
        expectClose(delta, fd, accumulate ? tol : scaledTolerance(fd, 1e-3), 'dvalue vs finite differences');
      });
    }
  }

  // 10_001 tokens: three partial sums per row (two full 4096-token chunks and a ragged one).
  for (const N of [10_001, 300]) {
    const rel = N > 4096 ? 1e-4 : 1e-5;

    it(`sumReduce matches float64 sums, weighted and plain, at an offset, deterministic (N=${N})`, async () => {
      const gpu = await testGpu();
      const K = 3;
      const x = randn(K * N, 60);
      const weight = tokenWeights(N, 61);
      for (let n = 0; n < N; n += 7) if (weight[n] === 0) x[N + n] = NaN; // skipped: weight 0
      const xT = upload(gpu, [K, N], x);
      const wT = upload(gpu, [N], weight);
      const plainX = upload(gpu, [K, N], randn(K * N, 62));
      const sums = upload(gpu, [2 + K + K + 1], new Float64Array(2 + 2 * K + 1).fill(-7), 'sums');
      const partials = gpu.tensor([sumPartialCount(K, N)], 'partials');
      expect(partials.size).toBe(K * Math.ceil(N / 4096));
      const dispatches = [
        ...sumReduce(gpu, sums, partials, xT, wT, K, N, 2),
        ...sumReduce(gpu, sums, partials, plainX, null, K, N, 2 + K), // shares the partials
      ];
      const [first] = await runAndRead(gpu, dispatches, sums);
      const [second] = await runAndRead(gpu, dispatches, sums);
      const plain = await gpu.readF32(plainX);
      const finiteX = x.map((v) => (Number.isNaN(v) ? 0 : v));
      expectClose(first!.subarray(2, 2 + K), ref.sumReduce(x, weight, K, N), sumTolerance(finiteX, weight, K, N, rel), 'weighted sums');
      const plainTol = sumTolerance(plain, null, K, N, rel);
      expectClose(first!.subarray(2 + K, 2 + 2 * K), ref.sumReduce(plain, null, K, N), plainTol, 'plain sums');
      expect([first![0], first![1], first![2 + 2 * K]]).toEqual([-7, -7, -7]); // outside the slices
      expect([...second!]).toEqual([...first!]); // bit for bit: every sum has a fixed order
    });

    it(`policyLossSums and valueLossSums match float64 sums of the reference (N=${N})`, async () => {
      const gpu = await testGpu();
      const o = { ...POLICY, beta: 0.05 };
      const d = policyData(N, 70);
      const t = uploadPolicy(gpu, N, d);
      const v = valueData(N, 71, 0.2);
      const loss = gpu.tensor([N], 'loss');
      const stats = gpu.tensor([POLICY_STATS, N], 'stats');
      const vloss = gpu.tensor([N], 'value loss');
      const vstats = gpu.tensor([VALUE_STATS, N], 'value stats');
      const sums = gpu.tensor([POLICY_SUMS + VALUE_SUMS], 'sums');
      const partials = gpu.tensor([sumPartialCount(POLICY_STATS, N)], 'partials'); // shared
      const [value, oldValue, returns, vweight] = [v.value, v.oldValue, v.returns, v.weight].map((a) => upload(gpu, [N], a));
      const [got] = await runAndRead(
        gpu,
        [
          policyLossForward(gpu, loss, stats, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
          valueLossForward(gpu, vloss, vstats, value!, oldValue!, returns!, vweight!, N, 0.2),
          ...policyLossSums(gpu, sums, partials, loss, stats, t.weight, N),
          ...valueLossSums(gpu, sums, partials, vloss, vstats, vweight!, N, POLICY_SUMS),
        ],
        sums,
      );
      const e = ref.policyLossForward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
      const eStats = [e.pg, e.kl, e.clip, e.ratio].flatMap((a) => [...a]);
      const ev = ref.valueLossForward(v.value, v.oldValue, v.returns, v.weight, N, 0.2);
      const evStats = [ev.clip, ev.sqErr].flatMap((a) => [...a]);
      const expected = [
        ...ref.sumReduce(e.loss, null, 1, N),
        ...ref.sumReduce(eStats, d.weight, POLICY_STATS, N),
        ...ref.sumReduce(ev.loss, null, 1, N),
        ...ref.sumReduce(evStats, v.weight, VALUE_STATS, N),
      ];
      const tolerances = [
        sumTolerance(e.loss, null, 1, N, rel),
        sumTolerance(eStats, d.weight, POLICY_STATS, N, rel),
        sumTolerance(ev.loss, null, 1, N, rel),
        sumTolerance(evStats, v.weight, VALUE_STATS, N, rel),
      ];
      const atol = Math.max(...tolerances.map((x) => x.atol));
      expectClose(got!, expected, { atol, rtol: rel }, 'sums');
      // Token-level weights: Σ weight = 1, so the sums are the means the trainer reports.
      expect(expected[POLICY_SUM.ratio]).toBeGreaterThan(0.5);
      expect(expected[POLICY_SUM.clip]).toBeGreaterThan(0.05);
      expect(expected[POLICY_SUMS + VALUE_SUM.clip]).toBeGreaterThan(0.05);
      const lossFromParts = got![POLICY_SUM.pg]! + o.beta * got![POLICY_SUM.kl]!;
      expectClose([got![POLICY_SUM.loss]!], [lossFromParts], { atol, rtol: rel }, 'Σ loss = Σ w·pg + β Σ w·kl');
    });
  }

  it('kl and its gradient are accurate per token (relative 1e-5) for a reference close to the policy', async () => {
    const gpu = await testGpu();
    const N = 200;
    const o = { ...POLICY, beta: 1 };
    const next = seededRandom(85);
    // c = refLogprob − logprob from ±1e-4 to ±0.9 (log-uniform), around the series' bound ±1, and beyond.
    const c = Float64Array.from({ length: N }, (_, n) =>
      n < 180 ? (n % 2 ? 1 : -1) * 10 ** (-4 + 3.95 * next()) : [0.999, -0.999, 1.001, -1.001, 2, -3, 5, -5, 0.5, -0.5][n % 10]!,
    );
    const logprob = Float64Array.from(randn(N, 86), (z) => Math.fround(-1 - 0.1 * Math.abs(z)));
    const refLogprob = Float64Array.from(logprob, (lp, n) => Math.fround(lp + c[n]!));
    const advantage = new Float64Array(N); // A = 0: the gradient is the kl term alone
    const weight = new Float64Array(N).fill(Math.fround(1 / N));
    const t = uploadPolicy(gpu, N, { logprob, oldLogprob: logprob, refLogprob, advantage, weight });
    const loss = gpu.tensor([N], 'loss');
    const stats = gpu.tensor([POLICY_STATS, N], 'stats');
    const dlogprob = gpu.tensor([N], 'dlogprob');
    const [gotStats, gotGrad] = await runAndRead(
      gpu,
      [
        policyLossForward(gpu, loss, stats, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
        policyLossBackward(gpu, dlogprob, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
      ],
      stats,
      dlogprob,
    );
    const e = ref.policyLossForward(logprob, logprob, refLogprob, advantage, weight, N, o);
    const eGrad = ref.policyLossBackward(logprob, logprob, refLogprob, advantage, weight, N, o);
    expect(Math.min(...e.kl)).toBeLessThan(1e-8);
    expectClose(row(gotStats!, POLICY_STAT.kl, N), e.kl, { atol: 0, rtol: 1e-5 }, 'kl per token');
    expectClose(gotGrad!, eGrad, { atol: 0, rtol: 1e-5 }, 'dlogprob per token');
  });

  it('extreme log-ratios (±50) and zero weights give no NaN, and match the clamped reference', async () => {
    const gpu = await testGpu();
    const N = 517;
    const o = { ...POLICY, beta: 0.1 };
    const next = seededRandom(80);
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
    const logprob = Float64Array.from(randn(N, 81), (z) => Math.fround(-0.5 - Math.abs(z)));
    const oldLogprob = Float64Array.from(logprob, (lp) => Math.fround(lp - pick([50, -50, 25, -25, 19.5, -19.5, 0.1])));
    const refLogprob = Float64Array.from(logprob, (lp) => Math.fround(lp + pick([50, -50, 30, -30, 19, -19, 0.01])));
    const advantage = Float64Array.from(randn(N, 82), (a, n) => (n % 11 === 0 ? 0 : a));
    const weight = tokenWeights(N, 83, 0.5);
    const t = uploadPolicy(gpu, N, { logprob, oldLogprob, refLogprob, advantage, weight });
    const loss = gpu.tensor([N], 'loss');
    const stats = gpu.tensor([POLICY_STATS, N], 'stats');
    const dlogprob = gpu.tensor([N], 'dlogprob');
    const sums = gpu.tensor([POLICY_SUMS], 'sums');
    const partials = gpu.tensor([sumPartialCount(POLICY_STATS, N)], 'partials');
    const [gotLoss, gotStats, gotGrad, gotSums] = await runAndRead(
      gpu,
      [
        policyLossForward(gpu, loss, stats, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
        policyLossBackward(gpu, dlogprob, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
        ...policyLossSums(gpu, sums, partials, loss, stats, t.weight, N),
      ],
      loss,
      stats,
      dlogprob,
      sums,
    );
    for (const [name, a] of Object.entries({ loss: gotLoss!, stats: gotStats!, dlogprob: gotGrad!, sums: gotSums! })) {
      expect(a.every(Number.isFinite), `${name} is finite`).toBe(true);
    }
    const e = ref.policyLossForward(logprob, oldLogprob, refLogprob, advantage, weight, N, o);
    expectClose(gotLoss!, e.loss, scaledTolerance(e.loss, 1e-5), 'loss');
    expectClose(row(gotStats!, POLICY_STAT.pg, N), e.pg, scaledTolerance(e.pg, 1e-5), 'pg');
    expectClose(row(gotStats!, POLICY_STAT.kl, N), e.kl, scaledTolerance(e.kl, 1e-5), 'kl');
    expectClose(row(gotStats!, POLICY_STAT.clip, N), e.clip, { atol: 0, rtol: 0 }, 'clip');
    expectClose(row(gotStats!, POLICY_STAT.ratio, N), e.ratio, scaledTolerance(e.ratio, 1e-5), 'ratio');
    const expectedGrad = ref.policyLossBackward(logprob, oldLogprob, refLogprob, advantage, weight, N, o);
    expectClose(gotGrad!, expectedGrad, scaledTolerance(expectedGrad, 1e-5), 'dlogprob');
    expect(Math.max(...e.ratio)).toBeCloseTo(Math.exp(20), -3); // the clamp is reached
  });

  it('tokens of weight 0 get loss 0 and gradient 0 even with NaN or Inf inputs; beta 0 ignores refLogprob', async () => {
    const gpu = await testGpu();
    const N = 300;
    const d = policyData(N, 90);
    // Weight-0 tokens cycle through: a NaN or ±Inf log-prob, a NaN or ±Inf advantage with finite
    // log-probs (so the ratio is finite and only the weight guard keeps the gradient 0), a NaN ref.
    let j = 0;
    for (let n = 0; n < N; n++) {
      if (d.weight[n] !== 0) continue;
      const k = j++ % 6;
      if (k === 0) d.logprob[n] = NaN;
      if (k === 1) d.oldLogprob[n] = Infinity;
      if (k === 2) d.logprob[n] = -Infinity;
      if (k === 3) d.advantage[n] = NaN;
      if (k === 4) d.advantage[n] = n % 2 ? Infinity : -Infinity;
      if (k === 5) d.refLogprob[n] = NaN;
    }
    const refNaN = new Float64Array(N).fill(NaN);
    for (const beta of [0, 0.1]) {
      const o = { ...POLICY, beta };
      const refLp = beta === 0 ? refNaN : d.refLogprob;
      const t = uploadPolicy(gpu, N, { ...d, refLogprob: refLp });
      const loss = gpu.tensor([N], 'loss');
      const stats = gpu.tensor([POLICY_STATS, N], 'stats');
      const dlogprob = gpu.tensor([N], 'dlogprob');
      const sums = gpu.tensor([POLICY_SUMS], 'sums');
      const partials = gpu.tensor([sumPartialCount(POLICY_STATS, N)], 'partials');
      const [gotLoss, gotGrad, gotSums] = await runAndRead(
        gpu,
        [
          policyLossForward(gpu, loss, stats, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
          policyLossBackward(gpu, dlogprob, t.logprob, t.oldLogprob, t.refLogprob, t.advantage, t.weight, N, o),
          ...policyLossSums(gpu, sums, partials, loss, stats, t.weight, N),
        ],
        loss,
        dlogprob,
        sums,
      );
      const e = ref.policyLossForward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
      const eGrad = ref.policyLossBackward(d.logprob, d.oldLogprob, d.refLogprob, d.advantage, d.weight, N, o);
      expectClose(gotLoss!, e.loss, scaledTolerance(e.loss, 1e-5), `loss (beta ${beta})`);
      expectClose(gotGrad!, eGrad, scaledTolerance(eGrad, 1e-5), `dlogprob (beta ${beta})`);
      const finite: number[] = [POLICY_SUM.loss, POLICY_SUM.pg, POLICY_SUM.clip, POLICY_SUM.ratio];
      if (beta > 0) finite.push(POLICY_SUM.kl); // with beta 0 and a NaN refLogprob the kl stat is NaN
      expect(finite.every((i) => Number.isFinite(gotSums![i]!))).toBe(true);
    }
  });

  it('value loss: zero weights give 0 with NaN inputs; huge errors stay finite', async () => {
    const gpu = await testGpu();
    const N = 261;
    const d = valueData(N, 95, 0.2);
    for (let n = 0; n < N; n++) {
      if (d.weight[n] === 0) d.value[n] = n % 2 ? NaN : Infinity;
      else if (n % 5 === 0) d.returns[n] = Math.fround(d.value[n]! + (n % 2 ? 1e4 : -1e4));
    }
    const tensors = [d.value, d.oldValue, d.returns, d.weight].map((a) => upload(gpu, [N], a)) as [Tensor, Tensor, Tensor, Tensor];
    const loss = gpu.tensor([N], 'value loss');
    const stats = gpu.tensor([VALUE_STATS, N], 'value stats');
    const dvalue = gpu.tensor([N], 'dvalue');
    const sums = gpu.tensor([VALUE_SUMS], 'sums');
    const partials = gpu.tensor([sumPartialCount(VALUE_STATS, N)], 'partials');
    const [gotLoss, gotGrad, gotSums] = await runAndRead(
      gpu,
      [
        valueLossForward(gpu, loss, stats, ...tensors, N, 0.2),
        valueLossBackward(gpu, dvalue, ...tensors, N, 0.2),
        ...valueLossSums(gpu, sums, partials, loss, stats, tensors[3], N),
      ],
      loss,
      dvalue,
      sums,
    );
    const e = ref.valueLossForward(d.value, d.oldValue, d.returns, d.weight, N, 0.2);
    const eGrad = ref.valueLossBackward(d.value, d.oldValue, d.returns, d.weight, N, 0.2);
    expectClose(gotLoss!, e.loss, scaledTolerance(e.loss, 1e-5), 'value loss');
    expectClose(gotGrad!, eGrad, scaledTolerance(eGrad, 1e-5), 'dvalue');
    expect([...gotSums!].every(Number.isFinite)).toBe(true);
  });

  it('launchers reject bad hyperparameters and short tensors', async () => {
    const gpu = await testGpu();
    const N = 10;
    const a = gpu.tensor([N], 'a');
    const stats = gpu.tensor([POLICY_STATS, N], 'stats');
    const f = (o: { epsilonLow: number; epsilonHigh: number; beta: number }, s = stats) => () =>
      policyLossForward(gpu, a, s, a, a, a, a, a, N, o);
    expect(f({ epsilonLow: 1, epsilonHigh: 0.2, beta: 0 })).toThrow(RangeError);
    expect(f({ epsilonLow: 0.2, epsilonHigh: -0.1, beta: 0 })).toThrow(RangeError);
    expect(f({ epsilonLow: 0.2, epsilonHigh: 0.2, beta: -1 })).toThrow(RangeError);
    expect(f({ ...POLICY, beta: 0 }, gpu.tensor([N], 'short stats'))).toThrow(RangeError);
    expect(() => valueLossForward(gpu, a, stats, a, a, a, a, N, -0.1)).toThrow(RangeError);
    expect(() => sumReduce(gpu, gpu.tensor([2], 'sums'), gpu.tensor([4], 'p'), stats, a, POLICY_STATS, N)).toThrow(RangeError);
  });
});
