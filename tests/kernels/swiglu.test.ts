import { describe, expect, it } from 'vitest';
import { swigluBackward, swigluForward } from '../../src/gpu/kernels/swiglu.ts';
import * as ref from '../reference/swiglu.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload } from '../helpers/testGpu.ts';


describe('swiglu', () => {
  // N·H = 335 and 390 are not multiples of the 256-wide workgroup.
  for (const [N, H] of [
    [5, 67],
    [3, 130],
  ] as const) {
    it(`forward matches the float64 reference (N=${N}, H=${H})`, async () => {
      const gpu = await testGpu();
      const gate = randn(N * H, 1, 2);
      const up = randn(N * H, 2);
      const expected = ref.swigluForward(gate, up, N, H);
      const out = gpu.tensor([N, H], 'out');
      const [got] = await runAndRead(
        gpu,
        [swigluForward(gpu, out, upload(gpu, [N, H], gate), upload(gpu, [N, H], up), N, H)],
        out,
      );
      expectClose(got!, expected.out, scaledTolerance(expected.out, 1e-5), 'out');
    });

    it(`backward overwrites its outputs and matches the reference and finite differences (N=${N}, H=${H})`, async () => {
      const gpu = await testGpu();
      const gate = randn(N * H, 3, 2);
      const up = randn(N * H, 4);
      const dout = randn(N * H, 5);
      const expected = ref.swigluBackward(dout, gate, up, N, H);
      const fdGate = numericalGradient((x) => dot(dout, ref.swigluForward(x, up, N, H).out), gate);
      const fdUp = numericalGradient((x) => dot(dout, ref.swigluForward(gate, x, N, H).out), up);
      // NaN beforehand: anything read from the old contents would show.
      const dgate = upload(gpu, [N, H], new Float64Array(N * H).fill(NaN));
      const dup = upload(gpu, [N, H], new Float64Array(N * H).fill(NaN));
      const [gotGate, gotUp] = await runAndRead(
        gpu,
        [swigluBackward(gpu, dgate, dup, upload(gpu, [N, H], dout), upload(gpu, [N, H], gate), upload(gpu, [N, H], up), N, H)],
        dgate,
        dup,
      );
      expectClose(gotGate!, expected.dgate, scaledTolerance(expected.dgate, 1e-5), 'dgate vs reference');
      expectClose(gotUp!, expected.dup, scaledTolerance(expected.dup, 1e-5), 'dup vs reference');
      expectClose(gotGate!, fdGate, scaledTolerance(fdGate, 1e-3), 'dgate vs finite differences');
      expectClose(gotUp!, fdUp, scaledTolerance(fdUp, 1e-3), 'dup vs finite differences');
    });
  }

  it('stays finite and accurate for large |gate| (±30, ±100)', async () => {
    const gpu = await testGpu();
    const N = 2;
    const H = 6;
    const gate = Float64Array.from([30, -30, 100, -100, 88.5, -88.5, 29.5, -31, 15, -15, 0, 1e-3]);
    const up = randn(N * H, 8);
    const dout = randn(N * H, 9);
    const fwd = ref.swigluForward(gate, up, N, H);
    const bwd = ref.swigluBackward(dout, gate, up, N, H);
    const gateT = upload(gpu, [N, H], gate);
    const upT = upload(gpu, [N, H], up);
    const out = gpu.tensor([N, H], 'out');
    const dgate = gpu.tensor([N, H], 'dgate');
    const dup = gpu.tensor([N, H], 'dup');
    const [gotOut, gotGate, gotUp] = await runAndRead(
      gpu,
      [swigluForward(gpu, out, gateT, upT, N, H), swigluBackward(gpu, dgate, dup, upload(gpu, [N, H], dout), gateT, upT, N, H)],
      out,
      dgate,
      dup,
    );
    for (const v of [...gotOut!, ...gotGate!, ...gotUp!]) expect(Number.isFinite(v)).toBe(true);
    // Per element, not scaled by the largest: silu'(−30) ≈ −2.8e−12 must not come out as ±1.
    expectClose(gotOut!, fwd.out, { atol: 1e-6, rtol: 1e-5 }, 'out');
    expectClose(gotGate!, bwd.dgate, { atol: 1e-6, rtol: 1e-5 }, 'dgate');
    expectClose(gotUp!, bwd.dup, { atol: 1e-6, rtol: 1e-5 }, 'dup');
  });
});
