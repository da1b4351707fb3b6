import { describe, expect, it } from 'vitest';
import {
  crossEntropyBackward,
  crossEntropyForward,
  entropyBackward,
  entropyForward,
  logprobBackward,
  logprobForward,
} from '../../src/gpu/kernels/logsoftmax.ts';
import * as ref from '../reference/logsoftmax.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randInts, randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload, uploadU32 } from '../helpers/testGpu.ts';

const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);

/**
 * Finite differences of Σ dout · f(logits) w.r.t. the logits at the flat indices `probe` (all of
 * them when omitted): a long vocabulary probes a sample of columns, to keep the test quick.
 */
function fdGradient(f: (logits: Float64Array) => Float64Array, dout: Float64Array, logits: Float64Array, probe: number[]) {
  const x = Float64Array.from(logits);
  return numericalGradient((values) => {
    probe.forEach((i, k) => (x[i] = values[k]!));
    return dot(dout, f(x));
  }, Float64Array.from(probe, (i) => logits[i]!));
}

describe('logsoftmax', () => {
  // V = 37, 300 and 5000 are not multiples of the 256-wide workgroup; V = 5000 sums more than
  // 4096 terms (relative 1e-4). Temperatures other than 1 check the 1/T scaling and its gradient.
  for (const [N, V, T] of [
    [4, 37, 1],
    [3, 300, 0.7],
    [2, 5000, 1.3],
  ] as const) {
    const rel = V > 4096 ? 1e-4 : 1e-5;
    const logits = randn(N * V, 11, 2);
    const targets = randInts(N, V, 12);
    targets[N - 1] = V - 1; // the last column, in the ragged tail of the strided loop
    // Every entry for the short vocabularies; for V = 5000 each row's target and 50 columns.
    const probe =
      V > 1000
        ? Array.from({ length: N }, (_, n) => [n * V + targets[n]!, ...randInts(50, V, 15 + n).map((v) => n * V + v)]).flat()
        : Array.from({ length: N * V }, (_, i) => i);

    it(`forwards match the float64 reference (N=${N}, V=${V}, T=${T})`, async () => {
      const gpu = await testGpu();
      const logitsT = upload(gpu, [N, V], logits);
      const targetsT = uploadU32(gpu, [N], targets);
      const [logprob, lse1, loss, lse2, entropy, lse3] = [0, 1, 2, 3, 4, 5].map(() => gpu.tensor([N], 'out'));
      const got = await runAndRead(
        gpu,
        [
          logprobForward(gpu, logprob!, lse1!, logitsT, targetsT, N, V, { temperature: T }),
          crossEntropyForward(gpu, loss!, lse2!, logitsT, targetsT, N, V, { temperature: T }),
          entropyForward(gpu, entropy!, lse3!, logitsT, N, V, { temperature: T }),
        ],
        logprob!,
        lse1!,
        loss!,
        lse2!,
        entropy!,
        lse3!,
      );
      const lp = ref.logprobForward(logits, targets, N, V, T);
      const ce = ref.crossEntropyForward(logits, targets, N, V, T);
      const ent = ref.entropyForward(logits, N, V, T);
      expectClose(got[0]!, lp.logprob, scaledTolerance(lp.logprob, rel), 'logprob');
      expectClose(got[1]!, lp.lse, scaledTolerance(lp.lse, rel), 'lse (logprob)');
      expectClose(got[2]!, ce.loss, scaledTolerance(ce.loss, rel), 'loss');
      expectClose(got[3]!, ce.lse, scaledTolerance(ce.lse, rel), 'lse (cross-entropy)');
      expectClose(got[4]!, ent.entropy, scaledTolerance(ent.entropy, rel), 'entropy');
      expectClose(got[5]!, ent.lse, scaledTolerance(ent.lse, rel), 'lse (entropy)');
    });

    it(`backwards match the reference and finite differences, accumulating (N=${N}, V=${V}, T=${T})`, async () => {
      const gpu = await testGpu();
      const dout = randn(N, 13);
      const start = randn(N * V, 14); // dlogits accumulates onto what is there
      const logitsT = upload(gpu, [N, V], logits);
      const targetsT = uploadU32(gpu, [N], targets);
      const doutT = upload(gpu, [N], dout);
      const lse = gpu.tensor([N], 'lse');
      const out = gpu.tensor([N], 'out');
      const entropy = gpu.tensor([N], 'entropy');
      const [dLogprob, dLoss, dEntropy] = [0, 1, 2].map(() => upload(gpu, [N, V], start, 'dlogits'));
      const o = { temperature: T };
      // Forward then backward per op, one phase each (the lse is shared scratch).
      const results: Float32Array[] = [];
      results.push(
        ...(await runAndRead(
          gpu,
          [
            logprobForward(gpu, out, lse, logitsT, targetsT, N, V, o),
            logprobBackward(gpu, dLogprob!, doutT, logitsT, targetsT, lse, N, V, o),
          ],
          dLogprob!,
        )),
      );
      results.push(
        ...(await runAndRead(
          gpu,
          [
            crossEntropyForward(gpu, out, lse, logitsT, targetsT, N, V, o),
            crossEntropyBackward(gpu, dLoss!, doutT, logitsT, targetsT, lse, N, V, o),
          ],
          dLoss!,
        )),
      );
      results.push(
        ...(await runAndRead(
          gpu,
          [
            entropyForward(gpu, entropy, lse, logitsT, N, V, o),
            entropyBackward(gpu, dEntropy!, doutT, logitsT, lse, entropy, N, V, o),
          ],
          dEntropy!,
        )),
      );
      const cases = [
        {
          name: 'logprob',
          got: results[0]!,
          expected: ref.logprobBackward(dout, logits, targets, N, V, T),
          f: (x: Float64Array) => ref.logprobForward(x, targets, N, V, T).logprob,
        },
        {
          name: 'cross-entropy',
          got: results[1]!,
          expected: ref.crossEntropyBackward(dout, logits, targets, N, V, T),
          f: (x: Float64Array) => ref.crossEntropyForward(x, targets, N, V, T).loss,
        },
        {
          name: 'entropy',
          got: results[2]!,
          expected: ref.entropyBackward(dout, logits, N, V, T),
          f: (x: Float64Array) => ref.entropyForward(x, N, V, T).entropy,
        },
      ];
      for (const c of cases) {
        const delta = minus(c.got, start);
        expectClose(delta, c.expected, scaledTolerance(c.expected, rel), `d${c.name} vs reference`);
        const fd = fdGradient(c.f, dout, logits, probe);
        const probed = probe.map((i) => delta[i]!);
        expectClose(probed, fd, scaledTolerance(fd, 1e-3), `d${c.name} vs finite differences`);
      }
    });
  }

  it('a backward with accumulate: false writes (=), the next one adds (+=)', async () => {
    const gpu = await testGpu();
    const [N, V, T] = [3, 70, 0.8];
    const logits = randn(N * V, 21, 3);
    const targets = randInts(N, V, 22);
    const dlogprob = randn(N, 23);
    const dentropy = randn(N, 24);
    const logitsT = upload(gpu, [N, V], logits);
    const targetsT = uploadU32(gpu, [N], targets);
    const lse = gpu.tensor([N], 'lse');
    const logprob = gpu.tensor([N], 'logprob');
    const entropy = gpu.tensor([N], 'entropy');
    const dlogits = upload(gpu, [N, V], randn(N * V, 25, 100), 'dlogits'); // garbage to overwrite
    const o = { temperature: T };
    const [got] = await runAndRead(
      gpu,
      [
        logprobForward(gpu, logprob, lse, logitsT, targetsT, N, V, o),
        entropyForward(gpu, entropy, lse, logitsT, N, V, o),
        logprobBackward(gpu, dlogits, upload(gpu, [N], dlogprob), logitsT, targetsT, lse, N, V, { ...o, accumulate: false }),
        entropyBackward(gpu, dlogits, upload(gpu, [N], dentropy), logitsT, lse, entropy, N, V, o),
      ],
      dlogits,
    );
    const a = ref.logprobBackward(dlogprob, logits, targets, N, V, T);
    const b = ref.entropyBackward(dentropy, logits, N, V, T);
    const expected = a.map((x, i) => x + b[i]!);
    expectClose(got!, expected, scaledTolerance(expected, 1e-5), 'dlogprob + dentropy');
  });

  // At T = 0.5 the scaled logits reach ±160, where exp overflows f32 without the max subtracted.
  for (const T of [1, 0.5]) {
    it(`extreme logits (±80) stay finite and accurate (T=${T})`, async () => {
      const gpu = await testGpu();
      const [N, V] = [4, 300]; // the maxima sit past the first 128 lanes of the max reduction
      // Row 0: one +80 among −80s (p ≈ 1, the rest underflow); row 1: random ±80; row 2: all
      // equal at +80; row 3: two tied +80s among −80s, the target on a −80 (logprob ≈ −160/T).
      const logits = new Float64Array(N * V).fill(-80);
      logits[250] = 80;
      const signs = randInts(V, 2, 31);
      for (let v = 0; v < V; v++) logits[V + v] = signs[v] ? 80 : -80;
      for (let v = 0; v < V; v++) logits[2 * V + v] = 80;
      logits[3 * V + 1] = 80;
      logits[3 * V + 290] = 80;
      const targets = [250, signs.indexOf(0), 7, 20];
      const dout = randn(N, 32);
      const logitsT = upload(gpu, [N, V], logits);
      const targetsT = uploadU32(gpu, [N], targets);
      const doutT = upload(gpu, [N], dout);
      const lse = gpu.tensor([N], 'lse');
      const logprob = gpu.tensor([N], 'logprob');
      const entropy = gpu.tensor([N], 'entropy');
      const dLogprob = gpu.tensor([N, V], 'dlogits');
      const dEntropy = gpu.tensor([N, V], 'dlogits');
      const o = { temperature: T, accumulate: false };
      const [gotLogprob, gotEntropy, gotDLogprob, gotDEntropy] = await runAndRead(
        gpu,
        [
          logprobForward(gpu, logprob, lse, logitsT, targetsT, N, V, o),
          entropyForward(gpu, entropy, lse, logitsT, N, V, o),
          logprobBackward(gpu, dLogprob, doutT, logitsT, targetsT, lse, N, V, o),
          entropyBackward(gpu, dEntropy, doutT, logitsT, lse, entropy, N, V, o),
        ],
        logprob,
        entropy,
        dLogprob,
        dEntropy,
      );
      const lp = ref.logprobForward(logits, targets, N, V, T);
      const ent = ref.entropyForward(logits, N, V, T);
      const dlp = ref.logprobBackward(dout, logits, targets, N, V, T);
      const dent = ref.entropyBackward(dout, logits, N, V, T);
      expectClose(gotLogprob!, lp.logprob, scaledTolerance(lp.logprob, 1e-5), 'logprob');
      expectClose(gotEntropy!, ent.entropy, scaledTolerance(ent.entropy, 1e-5), 'entropy');
      expectClose(gotDLogprob!, dlp, scaledTolerance(dlp, 1e-5), 'dlogprob');
      // The entropy gradient −p·(log p + H) cancels to ~0 on these rows (H = −log p on the tied
      // maxima), so its tolerance scales with the terms that cancel, |dout|·p·(|log p| + H) / T.
      let terms = 0;
      for (let i = 0; i < N * V; i++) {
        const n = Math.floor(i / V);
        const logp = logits[i]! / T - lp.lse[n]!;
        terms = Math.max(terms, (Math.abs(dout[n]!) * Math.exp(logp) * (Math.abs(logp) + ent.entropy[n]!)) / T);
      }
      expectClose(gotDEntropy!, dent, { atol: 1e-5 * terms, rtol: 1e-5 }, 'dentropy');
      expect(gotLogprob![3]).toBeLessThan(-159 / T);
    });
  }
});
