import { describe, expect, it } from 'vitest';
import { vocabChunkBackward, vocabChunkFinalize, vocabChunkForward, type VocabChunk } from '../../src/gpu/kernels/logsoftmax.ts';
import type { Gpu } from '../../src/gpu/gpu.ts';
import * as ref from '../reference/logsoftmax.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randInts, randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload, uploadU32 } from '../helpers/testGpu.ts';

/**
 * Finite differences of Σ dout · f(logits) w.r.t. the logits at the flat indices `probe`: a long
 * vocabulary probes a sample of columns, to keep the test quick.
 */
function fdGradient(f: (logits: Float64Array) => Float64Array, dout: Float64Array, logits: Float64Array, probe: number[]) {
  const x = Float64Array.from(logits);
  return numericalGradient((values) => {
    probe.forEach((i, k) => (x[i] = values[k]!));
    return dot(dout, f(x));
  }, Float64Array.from(probe, (i) => logits[i]!));
}

interface ChunkedRun {
  logprob: Float32Array;
  lse: Float32Array;
  entropy: Float32Array;
  /** (N, V) reassembled from the chunks' gradients. */
  dlogits: Float32Array;
}

/**
 * The chunk kernels on (N, V) logits cut into chunks of Vc columns (each uploaded as its own
 * (N, cols) tensor, as a VocabularyHead's matmul leaves it): forward over all, finalize, then the
 * backward of dlogprob (and dentropy) in place on each chunk.
 */
async function chunked(
  gpu: Gpu,
  logits: Float64Array,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  Vc: number,
  T: number,
  dlogprob: Float64Array,
  dentropy: Float64Array | null,
): Promise<ChunkedRun> {
  const chunks: VocabChunk[] = Array.from({ length: Math.ceil(V / Vc) }, (_, c) => ({ first: c * Vc, columns: Math.min(Vc, V - c * Vc) }));
  const slice = (chunk: VocabChunk) => Float64Array.from({ length: N * chunk.columns }, (_, i) => logits[Math.floor(i / chunk.columns) * V + chunk.first + (i % chunk.columns)]!);
  const tensors = chunks.map((chunk) => upload(gpu, [N, chunk.columns], slice(chunk), 'chunk'));
  const targetsT = uploadU32(gpu, [N], targets);
  const state = upload(gpu, [N, 4], randn(N * 4, 99, 100), 'state'); // garbage the first chunk overwrites
  const [logprob, lse, entropy] = [0, 1, 2].map(() => gpu.tensor([N], 'out'));
  const o = { temperature: T };
  const entropyGrad = dentropy ? { dentropy: upload(gpu, [N], dentropy), entropy: entropy! } : null;
  const [lp, ls, en] = await runAndRead(
    gpu,
    [
      ...chunks.map((chunk, c) => vocabChunkForward(gpu, state, tensors[c]!, targetsT, N, chunk, o)),
      vocabChunkFinalize(gpu, logprob!, lse!, entropy!, state, N),
      ...chunks.map((chunk, c) => vocabChunkBackward(gpu, tensors[c]!, upload(gpu, [N], dlogprob), targetsT, lse!, entropyGrad, N, chunk, o)),
    ],
    logprob!,
    lse!,
    entropy!,
  );
  const dlogits = new Float32Array(N * V);
  for (const [c, chunk] of chunks.entries()) {
    const got = await gpu.readF32(tensors[c]!);
    for (let i = 0; i < got.length; i++) dlogits[Math.floor(i / chunk.columns) * V + chunk.first + (i % chunk.columns)] = got[i]!;
  }
  return { logprob: lp!, lse: ls!, entropy: en!, dlogits };
}

describe('logsoftmax over vocabulary chunks', () => {
  // V = 37, 300 and 5000 are not multiples of the 256-wide workgroup; V = 5000 sums more than
  // 4096 terms (relative 1e-4). Temperatures other than 1 check the 1/T scaling and its gradient.
  // Each runs as one chunk and as chunks that do not divide V (the last one narrower).
  for (const [N, V, T, widths] of [
    [4, 37, 1, [37, 8, 5]],
    [3, 300, 0.7, [300, 64, 7]],
    [2, 5000, 1.3, [5000, 1024]],
  ] as const) {
    const rel = V > 4096 ? 1e-4 : 1e-5;
    const logits = randn(N * V, 11, 2);
    const targets = randInts(N, V, 12);
    targets[N - 1] = V - 1; // the last column, in the ragged tail of the strided loop and of the chunks
    const dlogprob = randn(N, 13);
    const dentropy = randn(N, 14);
    // Every entry for the short vocabularies; for V = 5000 each row's target and 50 columns.
    const probe =
      V > 1000
        ? Array.from({ length: N }, (_, n) => [n * V + targets[n]!, ...randInts(50, V, 15 + n).map((v) => n * V + v)]).flat()
        : Array.from({ length: N * V }, (_, i) => i);
    const lp = ref.logprobForward(logits, targets, N, V, T);
    const ent = ref.entropyForward(logits, N, V, T);
    const dlp = ref.logprobBackward(dlogprob, logits, targets, N, V, T);
    const dent = ref.entropyBackward(dentropy, logits, N, V, T);
    const both = dlp.map((x, i) => x + dent[i]!);

    for (const Vc of widths) {
      it(`forward and backward match the float64 reference (N=${N}, V=${V}, T=${T}, chunks of ${Vc})`, async () => {
        const gpu = await testGpu();
        const got = await chunked(gpu, logits, targets, N, V, Vc, T, dlogprob, dentropy);
        expectClose(got.logprob, lp.logprob, scaledTolerance(lp.logprob, rel), 'logprob');
        expectClose(got.lse, lp.lse, scaledTolerance(lp.lse, rel), 'lse');
        expectClose(got.entropy, ent.entropy, scaledTolerance(ent.entropy, rel), 'entropy');
        expectClose(got.dlogits, both, scaledTolerance(both, rel), 'dlogprob + dentropy');
      });
    }

    it(`the log-prob's gradient matches finite differences (N=${N}, V=${V}, T=${T})`, async () => {
      const gpu = await testGpu();
      const got = await chunked(gpu, logits, targets, N, V, widths[1], T, dlogprob, null);
      expectClose(got.dlogits, dlp, scaledTolerance(dlp, rel), 'dlogprob vs reference');
      const fd = fdGradient((x) => ref.logprobForward(x, targets, N, V, T).logprob, dlogprob, logits, probe);
      expectClose(
        probe.map((i) => got.dlogits[i]!),
        fd,
        scaledTolerance(fd, 1e-3),
        'dlogprob vs finite differences',
      );
      const fdEntropy = fdGradient((x) => ref.entropyForward(x, N, V, T).entropy, dentropy, logits, probe);
      const withEntropy = await chunked(gpu, logits, targets, N, V, widths[1], T, new Float64Array(N), dentropy);
      expectClose(
        probe.map((i) => withEntropy.dlogits[i]!),
        fdEntropy,
        scaledTolerance(fdEntropy, 1e-3),
        'dentropy vs finite differences',
      );
    });
  }

  // At T = 0.5 the scaled logits reach ±160, where exp overflows f32 without the max subtracted.
  // Chunks of 64: the maxima sit in different chunks, so the merge rescales sums of 0 and of 1.
  for (const T of [1, 0.5]) {
    it(`extreme logits (±80) stay finite and accurate (T=${T})`, async () => {
      const gpu = await testGpu();
      const [N, V] = [4, 300];
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
      const got = await chunked(gpu, logits, targets, N, V, 64, T, dout, dout);
      const lp = ref.logprobForward(logits, targets, N, V, T);
      const ent = ref.entropyForward(logits, N, V, T);
      const dlp = ref.logprobBackward(dout, logits, targets, N, V, T);
      const dent = ref.entropyBackward(dout, logits, N, V, T);
      expectClose(got.logprob, lp.logprob, scaledTolerance(lp.logprob, 1e-5), 'logprob');
      expectClose(got.entropy, ent.entropy, scaledTolerance(ent.entropy, 1e-5), 'entropy');
      // The entropy gradient −p·(log p + H) cancels to ~0 on these rows (H = −log p on the tied
      // maxima), so its tolerance scales with the terms that cancel, |dout|·p·(|log p| + H) / T.
      let terms = 0;
      for (let i = 0; i < N * V; i++) {
        const n = Math.floor(i / V);
        const logp = logits[i]! / T - lp.lse[n]!;
        terms = Math.max(terms, (Math.abs(dout[n]!) * Math.exp(logp) * (Math.abs(logp) + ent.entropy[n]!)) / T);
      }
      const expected = dlp.map((x, i) => x + dent[i]!);
      expectClose(got.dlogits, expected, { atol: 1e-5 * terms + 1e-5 * Math.max(...dlp.map(Math.abs)), rtol: 1e-5 }, 'dlogprob + dentropy');
      expect(got.logprob[3]).toBeLessThan(-159 / T);
    });
  }
});
