import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { ropeBackward, ropeForward, ropeInvFreq, ropeTable } from '../../src/gpu/kernels/rope.ts';
import * as ref from '../reference/rope.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';

const THETA = 10000;
const TMAX = 16;

describe('rope', () => {
  // B·T·NH·hs/2 = 120 and 45 pairs: not multiples of the 64-wide workgroup; hs = 6 has an odd
  // half; left padding shifts each row's positions (and pad columns sit at position 0).
  for (const [B, T, NH, hs, offset, leftPadding] of [
    [2, 5, 3, 8, 0, [0, 0]],
    [2, 5, 3, 8, 7, [0, 0]],
    [1, 5, 3, 6, 3, [0]],
    [2, 5, 3, 8, 0, [3, 1]],
    [2, 5, 3, 8, 4, [3, 0]],
  ] as const) {
    const n = B * T * NH * hs;
    const shape = [B, T, NH, hs];
    const padding = (gpu: Gpu) => gpu.tensor([B], 'left padding', Uint32Array.from(leftPadding));

    it(`forward matches the float64 reference (B=${B}, T=${T}, NH=${NH}, hs=${hs}, offset=${offset}, leftPadding=${leftPadding.join(',')})`, async () => {
      const gpu = await testGpu();
      const inp = randn(n, 1);
      const expected = ref.ropeForward(inp, B, T, NH, hs, THETA, offset, leftPadding);
      const freqs = gpu.tensor([TMAX, hs / 2, 2], 'freqs', ropeTable(TMAX, hs, THETA));
      const inpT = upload(gpu, shape, inp);
      const out = gpu.tensor(shape, 'out');
      const [got, gotInp] = await runAndRead(gpu, [ropeForward(gpu, out, inpT, freqs, padding(gpu), B, T, NH, hs, offset)], out, inpT);
      expectClose(got!, expected, scaledTolerance(expected, 1e-5), 'out');
      expectClose(gotInp!, inp, { atol: 0, rtol: 0 }, 'inp left as it was');
    });

    it(`backward matches the reference and finite differences, overwriting (B=${B}, T=${T}, NH=${NH}, hs=${hs}, offset=${offset}, leftPadding=${leftPadding.join(',')})`, async () => {
      const gpu = await testGpu();
      const inp = randn(n, 2);
      const dout = randn(n, 3);
      const expected = ref.ropeBackward(dout, B, T, NH, hs, THETA, offset, leftPadding);
      const fd = numericalGradient((x) => dot(dout, ref.ropeForward(x, B, T, NH, hs, THETA, offset, leftPadding)), inp);
      const freqs = gpu.tensor([TMAX, hs / 2, 2], 'freqs', ropeTable(TMAX, hs, THETA));
      const dinp = upload(gpu, shape, randn(n, 4)); // garbage: dinp is overwritten, not accumulated
      const [got] = await runAndRead(
        gpu,
        [ropeBackward(gpu, dinp, upload(gpu, shape, dout), freqs, padding(gpu), B, T, NH, hs, offset)],
        dinp,
      );
      expectClose(got!, expected, scaledTolerance(expected, 1e-5), 'dinp vs reference');
      expectClose(got!, fd, scaledTolerance(fd, 1e-3), 'dinp vs finite differences');
    });
  }

  it('decoding one position at a time with setPosition equals the whole sequence', async () => {
    const gpu = await testGpu();
    const [B, T, NH, hs] = [2, 5, 3, 8];
    const inp = randn(B * T * NH * hs, 5);
    const expected = ref.ropeForward(inp, B, T, NH, hs, THETA, 0);
    const freqs = gpu.tensor([TMAX, hs / 2, 2], 'freqs', ropeTable(TMAX, hs, THETA));
    const step = gpu.tensor([B, 1, NH, hs], 'step');
    const out = gpu.tensor([B, 1, NH, hs], 'out');
    const dispatch = ropeForward(gpu, out, step, freqs, gpu.tensor([B], 'left padding', new Uint32Array(B)), B, 1, NH, hs, 0); // built once
    for (let t = 0; t < T; t++) {
      const slice = (src: Float64Array) => {
        const s = new Float64Array(B * NH * hs);
        for (let b = 0; b < B; b++) s.set(src.subarray(((b * T + t) * NH) * hs, ((b * T + t + 1) * NH) * hs), b * NH * hs);
        return s;
      };
      gpu.write(step, Float32Array.from(slice(inp)));
      dispatch.setPosition(t);
      const [got] = await runAndRead(gpu, [dispatch], out);
      const want = slice(expected);
      expectClose(got!, want, scaledTolerance(want, 1e-5), `out at position ${t}`);
    }
    expect(() => dispatch.setPosition(TMAX)).toThrow(RangeError);
  });

  it('scales the inverse frequencies as transformers does for llama3 and linear rope scaling', () => {
    // hs 16, theta 10000: wavelengths 2π/inv_freq are 6.3, 19.9, 62.8, 199, ... With an original
    // context of 64 and low/high frequency factors 1/4, wavelengths under 64/4 = 16 are kept, those
    // over 64/1 divided by the factor 8, and 19.9 and 62.8 blended by
    // smooth = (64/wavelength − 1)/(4 − 1): (1 − smooth)·f/8 + smooth·f (worked out by hand).
    const llama3 = ropeInvFreq(16, 10000, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 });
    const expected = [1, 0.2443846, 0.01304226, 0.1 ** 1.5 / 8, 0.01 / 8, 0.1 ** 2.5 / 8, 0.001 / 8, 0.1 ** 3.5 / 8];
    expectClose(llama3, expected, { atol: 0, rtol: 1e-6 }, 'llama3 inv_freq');
    const linear = ropeInvFreq(16, 10000, { type: 'linear', factor: 4 });
    expectClose(linear, ropeInvFreq(16, 10000).map((f) => f / 4), { atol: 0, rtol: 1e-12 }, 'linear inv_freq');
    // The table turns position p by p·inv_freq: the scaled table's last pair is at a quarter of the angle.
    const table = ropeTable(3, 16, 10000, linear);
    expect(table[(2 * 8 + 7) * 2 + 1]).toBeCloseTo(Math.sin((2 * 0.1 ** 3.5) / 4), 7);
  });
});
