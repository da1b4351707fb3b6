import { describe, it } from 'vitest';
import { residualBackward, residualForward } from '../../src/gpu/kernels/residual.ts';
import * as ref from '../reference/residual.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';

const minus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v - b[i]!);

describe('residual', () => {
  // 7 and 1000 are not multiples of the 256-wide workgroup.
  for (const N of [7, 1000]) {
    it(`forward matches the float64 reference (N=${N})`, async () => {
      const gpu = await testGpu();
      const a = randn(N, 1);
      const b = randn(N, 2, 3);
      const expected = ref.residualForward(a, b, N);
      const out = gpu.tensor([N], 'out');
      const [got] = await runAndRead(gpu, [residualForward(gpu, out, upload(gpu, [N], a), upload(gpu, [N], b), N)], out);
      expectClose(got!, expected.out, scaledTolerance(expected.out, 1e-5), 'out');
    });

    it(`backward accumulates dout into both branches, matching finite differences (N=${N})`, async () => {
      const gpu = await testGpu();
      const a = randn(N, 3);
      const b = randn(N, 4);
      const dout = randn(N, 5);
      const startA = randn(N, 6);
      const startB = randn(N, 7);
      const expected = ref.residualBackward(dout, N);
      const fdA = numericalGradient((x) => dot(dout, ref.residualForward(x, b, N).out), a);
      const fdB = numericalGradient((x) => dot(dout, ref.residualForward(a, x, N).out), b);
      const da = upload(gpu, [N], startA);
      const db = upload(gpu, [N], startB);
      const [gotA, gotB] = await runAndRead(gpu, [residualBackward(gpu, da, db, upload(gpu, [N], dout), N)], da, db);
      expectClose(minus(gotA!, startA), expected.da, scaledTolerance(expected.da, 1e-5), 'da vs reference');
      expectClose(minus(gotB!, startB), expected.db, scaledTolerance(expected.db, 1e-5), 'db vs reference');
      expectClose(minus(gotA!, startA), fdA, scaledTolerance(fdA, 1e-3), 'da vs finite differences');
      expectClose(minus(gotB!, startB), fdB, scaledTolerance(fdB, 1e-3), 'db vs finite differences');
    });
  }
});
