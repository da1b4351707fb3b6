import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionDecode, attentionForward, kvCacheWrite } from '../../src/gpu/kernels/attention.ts';
import * as ref from '../reference/attention.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';
import type { Tensor } from '../../src/gpu/gpu.ts';

const nan = (n: number) => new Float64Array(n).fill(NaN); // every entry must be written

/** Positions t0..t0+n−1 of a (B, T, rowLen) array. */
function slice(src: ArrayLike<number>, B: number, T: number, rowLen: number, t0: number, n: number): Float64Array {
  const out = new Float64Array(B * n * rowLen);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n * rowLen; i++) out[b * n * rowLen + i] = src[(b * T + t0) * rowLen + i]!;
  }
  return out;
}

/** Entries of att (B, NH, T, T) above the diagonal must be exactly 0. */
function expectMaskedZero(att: Float32Array, B: number, NH: number, T: number, Tkv: number, pos = 0): void {
  for (let row = 0; row < B * NH * T; row++) {
    const t = row % T;
    for (let tk = pos + t + 1; tk < Tkv; tk++) {
      if (att[row * Tkv + tk] !== 0) throw new Error(`att[row ${row}, key ${tk}] = ${att[row * Tkv + tk]}, not 0`);
    }
  }
}

describe('attention', () => {
  // [B, T, NH, NKV, hs]: GQA, MHA, MQA, one token, and long rows (B·NH·T > the 64 rows of a
  // workgroup, so a second workgroup runs; T and hs > 64).
  const shapes = [
    [2, 7, 4, 2, 8],
    [1, 5, 3, 3, 6],
    [2, 7, 4, 1, 8],
    [2, 1, 2, 1, 8],
    [1, 70, 2, 1, 72],
  ] as const;

  for (const [B, T, NH, NKV, hs] of shapes) {
    const name = `B=${B}, T=${T}, NH=${NH}, NKV=${NKV}, hs=${hs}`;
    const qShape = [B, T, NH, hs];
    const kvShape = [B, T, NKV, hs];
    const attShape = [B, NH, T, T];
    const nq = B * T * NH * hs;
    const nkv = B * T * NKV * hs;
    const natt = B * NH * T * T;

    it(`forward matches the float64 reference (${name})`, async () => {
      const gpu = await testGpu();
      const q = randn(nq, 1);
      const k = randn(nkv, 2);
      const v = randn(nkv, 3);
      const expected = ref.attentionForward(q, k, v, B, T, NH, NKV, hs);
      const out = upload(gpu, qShape, nan(nq));
      const att = upload(gpu, attShape, nan(natt));
      const [gotOut, gotAtt] = await runAndRead(
        gpu,
        [attentionForward(gpu, out, att, upload(gpu, qShape, q), upload(gpu, kvShape, k), upload(gpu, kvShape, v), B, T, NH, NKV, hs)],
        out,
        att,
      );
      expectClose(gotOut!, expected.out, scaledTolerance(expected.out, 1e-5), 'out');
      expectClose(gotAtt!, expected.att, scaledTolerance(expected.att, 1e-5), 'att');
      expectMaskedZero(gotAtt!, B, NH, T, T);
    });

    it(`backward matches the reference${T < 64 ? ' and finite differences' : ''}, overwriting (${name})`, async () => {
      const gpu = await testGpu();
      const q = randn(nq, 4);
      const k = randn(nkv, 5);
      const v = randn(nkv, 6);
      const dout = randn(nq, 7);
      const expected = ref.attentionBackward(dout, q, k, v, B, T, NH, NKV, hs);

      const qT = upload(gpu, qShape, q);
      const kT = upload(gpu, kvShape, k);
      const vT = upload(gpu, kvShape, v);
      const out = gpu.tensor(qShape, 'out');
      const att = gpu.tensor(attShape, 'att');
      // garbage and NaN: the gradients overwrite, and every dpreatt entry is written
      const dq = upload(gpu, qShape, randn(nq, 8));
      const dk = upload(gpu, kvShape, randn(nkv, 9));
      const dv = upload(gpu, kvShape, randn(nkv, 10));
      const dpreatt = upload(gpu, attShape, nan(natt));
      const [gotDq, gotDk, gotDv, gotDpreatt] = await runAndRead(
        gpu,
        [
          attentionForward(gpu, out, att, qT, kT, vT, B, T, NH, NKV, hs),
          ...attentionBackward(gpu, dq, dk, dv, dpreatt, upload(gpu, qShape, dout), qT, kT, vT, att, B, T, NH, NKV, hs),
        ],
        dq,
        dk,
        dv,
        dpreatt,
      );
      expectClose(gotDq!, expected.dq, scaledTolerance(expected.dq, 1e-5), 'dq vs reference');
      expectClose(gotDk!, expected.dk, scaledTolerance(expected.dk, 1e-5), 'dk vs reference');
      expectClose(gotDv!, expected.dv, scaledTolerance(expected.dv, 1e-5), 'dv vs reference');
      expectMaskedZero(gotDpreatt!, B, NH, T, T);
      if (T >= 64) return; // finite differences of the long case cost seconds; the reference is checked above
      const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) =>
        dot(dout, ref.attentionForward(qq, kk, vv, B, T, NH, NKV, hs).out);
      const fdQ = numericalGradient((x) => loss(x, k, v), q);
      const fdK = numericalGradient((x) => loss(q, x, v), k);
      const fdV = numericalGradient((x) => loss(q, k, x), v);
      expectClose(gotDq!, fdQ, scaledTolerance(fdQ, 1e-3), 'dq vs finite differences');
      expectClose(gotDk!, fdK, scaledTolerance(fdK, 1e-3), 'dk vs finite differences');
      expectClose(gotDv!, fdV, scaledTolerance(fdV, 1e-3), 'dv vs finite differences');
    });
  }

  it('a left-padded prefill ignores the pad columns: each row equals its unpadded attention', async () => {
    const gpu = await testGpu();
    const [B, T, NH, NKV, hs, Tmax] = [3, 6, 4, 2, 8, 8];
    const leftPadding = [2, 0, 5];
    const q = randn(B * T * NH * hs, 21);
    const k = randn(B * T * NKV * hs, 22);
    const v = randn(B * T * NKV * hs, 23);
    // NaN keys and values in the pad columns: reading one would poison the row
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < leftPadding[b]! * NKV * hs; i++) {
        k[b * T * NKV * hs + i] = NaN;
        v[b * T * NKV * hs + i] = NaN;
      }
    }
    const kCache = upload(gpu, [B, Tmax, NKV, hs], nan(B * Tmax * NKV * hs), 'kCache');
    const vCache = upload(gpu, [B, Tmax, NKV, hs], nan(B * Tmax * NKV * hs), 'vCache');
    const out = gpu.tensor([B, T, NH, hs], 'out');
    const att = upload(gpu, [B, NH, T, Tmax], nan(B * NH * T * Tmax));
    const padding = gpu.tensor([B], 'left padding', Uint32Array.from(leftPadding));
    const [gotOut, gotAtt] = await runAndRead(
      gpu,
      [
        kvCacheWrite(gpu, kCache, upload(gpu, [B, T, NKV, hs], k), B, T, NKV, hs, Tmax, 0),
        kvCacheWrite(gpu, vCache, upload(gpu, [B, T, NKV, hs], v), B, T, NKV, hs, Tmax, 0),
        attentionDecode(gpu, out, att, upload(gpu, [B, T, NH, hs], q), kCache, vCache, padding, B, T, NH, NKV, hs, Tmax, 0),
      ],
      out,
      att,
    );
    for (let b = 0; b < B; b++) {
      const pad = leftPadding[b]!;
      const n = T - pad;
      const row = (src: ArrayLike<number>, width: number) => slice(src, B, T, width, pad, n).subarray(b * n * width, (b + 1) * n * width);
      const expected = ref.attentionForward(row(q, NH * hs), row(k, NKV * hs), row(v, NKV * hs), 1, n, NH, NKV, hs);
      const got = slice(gotOut!, B, T, NH * hs, pad, n).subarray(b * n * NH * hs, (b + 1) * n * NH * hs);
      expectClose(Float32Array.from(got), expected.out, scaledTolerance(expected.out, 1e-5), `row ${b} out`);
      for (let h = 0; h < NH; h++) {
        for (let t = pad; t < T; t++) {
          const base = ((b * NH + h) * T + t) * Tmax;
          for (let tk = 0; tk < Tmax; tk++) {
            const want = tk < pad || tk > t ? 0 : expected.att[((h * n) + t - pad) * n + tk - pad]!;
            expect(Math.abs(gotAtt![base + tk]! - want), `att[${b}, ${h}, ${t}, ${tk}]`).toBeLessThan(1e-5);
          }
        }
      }
    }
  });

  // A prompt of `prompt` tokens written into the cache and attended in one call (prompt = 0: none),
  // then one token per step; every step must equal the prefill's row at that position.
  for (const [B, T, NH, NKV, hs, Tmax, prompt] of [
    [2, 7, 4, 2, 8, 9, 0],
    [2, 7, 4, 1, 8, 8, 4],
  ] as const) {
    it(`decode against a KV cache equals prefill at every position (B=${B}, T=${T}, NH=${NH}, NKV=${NKV}, hs=${hs}, Tmax=${Tmax}, prompt=${prompt})`, async () => {
      const gpu = await testGpu();
      const q = randn(B * T * NH * hs, 11);
      const k = randn(B * T * NKV * hs, 12);
      const v = randn(B * T * NKV * hs, 13);
      const expected = ref.attentionForward(q, k, v, B, T, NH, NKV, hs);
      const noPadding = gpu.tensor([B], 'left padding', new Uint32Array(B));

      // the prefill on the GPU, the reference for every decode step
      const prefillOut = gpu.tensor([B, T, NH, hs], 'prefill out');
      const prefillAtt = gpu.tensor([B, NH, T, T], 'prefill att');
      const [qT, kT, vT] = [upload(gpu, [B, T, NH, hs], q), upload(gpu, [B, T, NKV, hs], k), upload(gpu, [B, T, NKV, hs], v)];
      const prefill = attentionForward(gpu, prefillOut, prefillAtt, qT, kT, vT, B, T, NH, NKV, hs);
      const [gpuOut, gpuAtt] = await runAndRead(gpu, [prefill], prefillOut, prefillAtt);

      // NaN in the cache: a read past the current position would poison the output
      const kCache = upload(gpu, [B, Tmax, NKV, hs], nan(B * Tmax * NKV * hs), 'kCache');
      const vCache = upload(gpu, [B, Tmax, NKV, hs], nan(B * Tmax * NKV * hs), 'vCache');
      const check = async (t0: number, n: number, dispatches: Parameters<typeof runAndRead>[1], out: Tensor, att: Tensor) => {
        const [gotOut, gotAtt] = await runAndRead(gpu, dispatches, out, att);
        const wantOut = slice(gpuOut!, B, T, NH * hs, t0, n);
        expectClose(gotOut!, wantOut, scaledTolerance(wantOut, 1e-5), `out at ${t0}..${t0 + n - 1} vs prefill`);
        const refOut = slice(expected.out, B, T, NH * hs, t0, n);
        expectClose(gotOut!, refOut, scaledTolerance(refOut, 1e-5), `out at ${t0}..${t0 + n - 1} vs reference`);
        const wantAtt = new Float64Array(B * NH * n * Tmax); // prefill rows, zero-padded to Tmax
        for (let row = 0; row < B * NH; row++) {
          for (let i = 0; i < n; i++) {
            for (let tk = 0; tk < T; tk++) wantAtt[(row * n + i) * Tmax + tk] = gpuAtt![(row * T + t0 + i) * T + tk]!;
          }
        }
        expectClose(gotAtt!, wantAtt, scaledTolerance(wantAtt, 1e-5), `att at ${t0}..${t0 + n - 1}`);
        expectMaskedZero(gotAtt!, B, NH, n, Tmax, t0);
      };

      if (prompt > 0) {
        const shapeQ = [B, prompt, NH, hs];
        const shapeKV = [B, prompt, NKV, hs];
        const out = gpu.tensor(shapeQ, 'prompt out');
        const att = upload(gpu, [B, NH, prompt, Tmax], nan(B * NH * prompt * Tmax));
        await check(0, prompt, [
          kvCacheWrite(gpu, kCache, upload(gpu, shapeKV, slice(k, B, T, NKV * hs, 0, prompt)), B, prompt, NKV, hs, Tmax, 0),
          kvCacheWrite(gpu, vCache, upload(gpu, shapeKV, slice(v, B, T, NKV * hs, 0, prompt)), B, prompt, NKV, hs, Tmax, 0),
          attentionDecode(gpu, out, att, upload(gpu, shapeQ, slice(q, B, T, NH * hs, 0, prompt)), kCache, vCache, noPadding, B, prompt, NH, NKV, hs, Tmax, 0),
        ], out, att);
      }

      // one step: built once at the first position, moved with setPosition
      const qStep = gpu.tensor([B, 1, NH, hs], 'q step');
      const kStep = gpu.tensor([B, 1, NKV, hs], 'k step');
      const vStep = gpu.tensor([B, 1, NKV, hs], 'v step');
      const out = gpu.tensor([B, 1, NH, hs], 'decode out');
      const att = upload(gpu, [B, NH, 1, Tmax], nan(B * NH * Tmax));
      const step = [
        kvCacheWrite(gpu, kCache, kStep, B, 1, NKV, hs, Tmax, prompt),
        kvCacheWrite(gpu, vCache, vStep, B, 1, NKV, hs, Tmax, prompt),
        attentionDecode(gpu, out, att, qStep, kCache, vCache, noPadding, B, 1, NH, NKV, hs, Tmax, prompt),
      ];
      for (let pos = prompt; pos < T; pos++) {
        gpu.write(qStep, Float32Array.from(slice(q, B, T, NH * hs, pos, 1)));
        gpu.write(kStep, Float32Array.from(slice(k, B, T, NKV * hs, pos, 1)));
        gpu.write(vStep, Float32Array.from(slice(v, B, T, NKV * hs, pos, 1)));
        for (const d of step) d.setPosition(pos);
        await check(pos, 1, step, out, att);
      }
      expect(() => step[2]!.setPosition(Tmax)).toThrow(RangeError);
    });
  }
});
