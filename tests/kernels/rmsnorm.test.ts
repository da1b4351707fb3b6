import { describe, expect, it } from 'vitest';
import { rmsnormBackward, rmsnormForward } from '../../src/gpu/kernels/rmsnorm.ts';
import * as ref from '../reference/rmsnorm.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';

const EPS = 1e-5;

describe('rmsnorm', () => {
  // C = 67 and 200 are not multiples of the 64-wide workgroup; N = 5 rows.
  for (const [N, C] of [
    [5, 67],
    [3, 200],
  ] as const) {
    it(`forward matches the float64 reference (N=${N}, C=${C})`, async () => {
      const gpu = await testGpu();
      const inp = randn(N * C, 1);
      const weight = randn(C, 2);
      const expected = ref.rmsnormForward(inp, weight, N, C, EPS);
      const out = gpu.tensor([N, C], 'out');
      const rstd = gpu.tensor([N], 'rstd');
      const [gotOut, gotRstd] = await runAndRead(
        gpu,
        [rmsnormForward(gpu, out, rstd, upload(gpu, [N, C], inp), upload(gpu, [C], weight), N, C, EPS)],
        out,
        rstd,
      );
      expectClose(gotOut!, expected.out, scaledTolerance(expected.out, 1e-5), 'out');
      expectClose(gotRstd!, expected.rstd, scaledTolerance(expected.rstd, 1e-5), 'rstd');
    });

    it(`backward matches the reference and finite differences, accumulating (N=${N}, C=${C})`, async () => {
      const gpu = await testGpu();
      const inp = randn(N * C, 3);
      const weight = randn(C, 4);
      const dout = randn(N * C, 5);
      const start = randn(N * C, 6); // dinp and dweight accumulate onto what is there
      const startW = randn(C, 7);
      const expected = ref.rmsnormBackward(dout, inp, weight, N, C, EPS);
      const fdInp = numericalGradient((x) => dot(dout, ref.rmsnormForward(x, weight, N, C, EPS).out), inp);
      const fdWeight = numericalGradient((w) => dot(dout, ref.rmsnormForward(inp, w, N, C, EPS).out), weight);

      const inpT = upload(gpu, [N, C], inp);
      const weightT = upload(gpu, [C], weight);
      const rstd = gpu.tensor([N], 'rstd');
      const out = gpu.tensor([N, C], 'out');
      const dinp = upload(gpu, [N, C], start);
      const dweight = upload(gpu, [C], startW);
      const [gotDinp, gotDweight] = await runAndRead(
        gpu,
        [
          rmsnormForward(gpu, out, rstd, inpT, weightT, N, C, EPS),
          ...rmsnormBackward(gpu, dinp, dweight, upload(gpu, [N, C], dout), inpT, weightT, rstd, N, C),
        ],
        dinp,
        dweight,
      );
      const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);
      expectClose(minus(gotDinp!, start), expected.dinp, scaledTolerance(expected.dinp, 1e-5), 'dinp vs reference');
      expectClose(minus(gotDweight!, startW), expected.dweight, scaledTolerance(expected.dweight, 1e-5), 'dweight vs reference');
      expectClose(minus(gotDinp!, start), fdInp, scaledTolerance(fdInp, 1e-3), 'dinp vs finite differences');
      expectClose(minus(gotDweight!, startW), fdWeight, scaledTolerance(fdWeight, 1e-3), 'dweight vs finite differences');
      expect(gotDinp!.length).toBe(N * C);
    });
  }

  it('backward with accumulate: false overwrites dinp (whatever it held) and still accumulates dweight', async () => {
    const gpu = await testGpu();
    const [N, C] = [6, 16]; // e.g. 3 tokens × 2 heads of a per-head q norm
    const inp = randn(N * C, 8);
    const weight = randn(C, 9);
    const dout = randn(N * C, 10);
    const startW = randn(C, 11);
    const expected = ref.rmsnormBackward(dout, inp, weight, N, C, EPS);
    const inpT = upload(gpu, [N, C], inp);
    const weightT = upload(gpu, [C], weight);
    const rstd = gpu.tensor([N], 'rstd');
    const dinp = upload(gpu, [N, C], randn(N * C, 12)); // stale values the backward must not add to
    const dweight = upload(gpu, [C], startW);
    const [gotDinp, gotDweight] = await runAndRead(
      gpu,
      [
        rmsnormForward(gpu, gpu.tensor([N, C], 'out'), rstd, inpT, weightT, N, C, EPS),
        ...rmsnormBackward(gpu, dinp, dweight, upload(gpu, [N, C], dout), inpT, weightT, rstd, N, C, { accumulate: false }),
      ],
      dinp,
      dweight,
    );
    expectClose(gotDinp!, expected.dinp, scaledTolerance(expected.dinp, 1e-5), 'dinp');
    const added = Float64Array.from(gotDweight!, (v, i) => v - startW[i]!);
    expectClose(added, expected.dweight, scaledTolerance(expected.dweight, 1e-5), 'dweight');
  });
});
