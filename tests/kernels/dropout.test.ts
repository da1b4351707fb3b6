import { describe, expect, it } from 'vitest';
import { dropoutBackward, dropoutForward } from '../../src/gpu/kernels/dropout.ts';
import * as ref from '../reference/dropout.ts';
import { philox4x32_10 } from '../reference/sampling.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { dot, numericalGradient } from '../helpers/gradcheck.ts';
import { randn } from '../helpers/random.ts';
import { testGpu, upload } from '../helpers/testGpu.ts';
import type { Gpu, Tensor } from '../../src/gpu/gpu.ts';

/** The bit patterns of f32 values, for exact comparisons (−0 ≠ +0). */
const bits = (values: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(values).buffer));

const SENTINEL = 7.25;

/** An (N + 8)-element tensor filled with SENTINEL: the 8 values past N must survive a dispatch over N. */
function padded(gpu: Gpu, N: number, label: string): Tensor {
  return gpu.tensor([N + 8], label, new Float32Array(N + 8).fill(SENTINEL));
}

async function readForward(gpu: Gpu, out: Tensor, mask: Tensor) {
  return { out: await gpu.readF32(out), mask: await gpu.readF32(mask) };
}

function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('dropout', () => {
  // N = 1001: not a multiple of the 4 elements of a Philox block, nor of a workgroup's 256.
  const N = 1001;

  it('keep decisions and the mask match the reference Philox bit for bit; out = inp · mask', async () => {
    const gpu = await testGpu();
    const inp = randn(N, 1);
    const inpT = upload(gpu, [N], inp);
    for (const [p, seed, step, stream] of [
      [0.1, 0, 0, 0],
      [0.5, 12345, 7, 3],
      [0.3, 0xffffffff, 0xfffffffe, 0xffffffff],
    ] as const) {
      const out = padded(gpu, N, 'out');
      const mask = padded(gpu, N, 'mask');
      gpu.run([dropoutForward(gpu, out, mask, inpT, N, p, seed, step, stream)]);
      const got = await readForward(gpu, out, mask);
      const expected = ref.dropoutForward(inp, N, p, seed, step, stream);
      const what = `p=${p} seed=${seed} step=${step} stream=${stream}`;

      // the keep decisions, straight from sampling's reference Philox words
      const keep = Array.from({ length: N }, (_, i) => {
        const word = philox4x32_10([Math.floor(i / 4), step, stream, 1], [seed, 0])[i % 4]!;
        return (word >>> 8) / 2 ** 24 >= p;
      });
      expect(Array.from(got.mask.subarray(0, N), (m) => m !== 0), what).toEqual(keep);
      expect(bits(got.mask.subarray(0, N)), what).toEqual(bits(expected.mask));
      expect(new Set(got.mask.subarray(0, N)), what).toEqual(new Set([0, Math.fround(1 / (1 - p))]));
      expectClose(got.out, expected.out, scaledTolerance(expected.out, 1e-5), `out ${what}`);
      expect(Array.from(got.out.subarray(N)), 'out past N').toEqual(new Array(8).fill(SENTINEL));
      expect(Array.from(got.mask.subarray(N)), 'mask past N').toEqual(new Array(8).fill(SENTINEL));
    }
  });

  it('replays a step exactly; setStep, setSeed and another stream draw new masks', async () => {
    const gpu = await testGpu();
    const p = 0.5;
    const inpT = upload(gpu, [N], randn(N, 2));
    const out = gpu.tensor([N], 'out');
    const mask = gpu.tensor([N], 'mask');
    const drop = dropoutForward(gpu, out, mask, inpT, N, p, 2024, 3);
    const maskAt = async () => {
      gpu.run([drop]);
      return gpu.readF32(mask);
    };
    const first = await maskAt();
    const again = await maskAt();
    drop.setStep(4);
    const next = await maskAt();
    drop.setSeed(2025);
    const reseeded = await maskAt();
    drop.setSeed(2024);
    drop.setStep(3);
    const back = await maskAt();
    gpu.run([dropoutForward(gpu, out, mask, inpT, N, p, 2024, 3, 1)]);
    const otherStream = await gpu.readF32(mask);

    expect(bits(again)).toEqual(bits(first));
    expect(bits(back)).toEqual(bits(first));
    expect(bits(first)).toEqual(bits(ref.dropoutForward(new Float64Array(N), N, p, 2024, 3).mask));
    expect(bits(next)).toEqual(bits(ref.dropoutForward(new Float64Array(N), N, p, 2024, 4).mask));
    expect(bits(reseeded)).toEqual(bits(ref.dropoutForward(new Float64Array(N), N, p, 2025, 4).mask));
    // independent masks at p = 1/2 differ in about half the elements
    for (const other of [next, reseeded, otherStream]) expect(differing(first, other)).toBeGreaterThan(0.4 * N);
  });

  it('p = 0 is the identity: out = inp exactly, mask = 1', async () => {
    const gpu = await testGpu();
    const inp = randn(N, 3, 100);
    inp[5] = -0;
    inp[6] = 3.4e38;
    const out = gpu.tensor([N], 'out');
    const mask = gpu.tensor([N], 'mask');
    gpu.run([dropoutForward(gpu, out, mask, upload(gpu, [N], inp), N, 0, 99, 1)]);
    const got = await readForward(gpu, out, mask);
    expect(bits(got.out)).toEqual(bits(inp));
    expect(Array.from(got.mask)).toEqual(new Array(N).fill(1));
  });

  // 100k elements: the kept fraction's standard deviation is √(p(1 − p) / N) ≤ 0.0016, and each
  // of the four words of a Philox block is checked on its own (N / 4 draws).
  for (const p of [0.1, 0.5]) {
    it(`keeps 1 − p of 100k elements and E[out] = inp (p=${p})`, async () => {
      const gpu = await testGpu();
      const big = 100_003;
      const out = gpu.tensor([big], 'out');
      const mask = gpu.tensor([big], 'mask');
      const ones = gpu.tensor([big], 'ones', new Float32Array(big).fill(1));
      gpu.run([dropoutForward(gpu, out, mask, ones, big, p, 77, 5, 2)]);
      const got = await readForward(gpu, out, mask);
      const keptByWord = [0, 0, 0, 0];
      let kept = 0;
      let sum = 0;
      for (let i = 0; i < big; i++) {
        if (got.mask[i] !== 0) {
          kept++;
          keptByWord[i % 4]++;
        }
        sum += got.out[i]!;
      }
      expect(Math.abs(kept / big - (1 - p))).toBeLessThan(0.01);
      for (const k of keptByWord) expect(Math.abs(k / (big / 4) - (1 - p))).toBeLessThan(0.01);
      // inverted scaling: the mean of out over inputs of 1 is 1 (σ = √(p / ((1 − p) N)) ≤ 0.0032)
      expect(Math.abs(sum / big - 1)).toBeLessThan(0.02);
    });
  }

  it('backward: dinp = dout · mask exactly, and += with accumulate, vs the reference and finite differences', async () => {
    const gpu = await testGpu();
    const p = 0.3;
    const inp = randn(N, 4);
    const dout = randn(N, 5);
    const start = randn(N, 6); // what accumulate adds onto, and what = overwrites
    const inpT = upload(gpu, [N], inp);
    const doutT = upload(gpu, [N], dout);
    const out = gpu.tensor([N], 'out');
    const mask = gpu.tensor([N], 'mask');
    const dinp = upload(gpu, [N], start);
    const dinpAcc = upload(gpu, [N], start);
    gpu.run([
      dropoutForward(gpu, out, mask, inpT, N, p, 31, 9),
      dropoutBackward(gpu, dinp, doutT, mask, N),
      dropoutBackward(gpu, dinpAcc, doutT, mask, N, { accumulate: true }),
    ]);
    const gotMask = Float64Array.from(await gpu.readF32(mask));
    const got = await gpu.readF32(dinp);
    const gotAcc = await gpu.readF32(dinpAcc);

    const { mask: refMask } = ref.dropoutForward(inp, N, p, 31, 9);
    expect(bits(gotMask)).toEqual(bits(refMask));
    const expected = ref.dropoutBackward(dout, refMask);
    // the mask held fixed: L(x) = Σ dout · (x · mask)
    const fd = numericalGradient((x) => dot(dout, ref.dropoutApply(x, refMask)), inp);
    expect(bits(got)).toEqual(bits(expected));
    const added = Float64Array.from(gotAcc, (v, i) => v - start[i]!);
    expectClose(added, expected, scaledTolerance(expected, 1e-5), 'accumulated dinp vs reference');
    expectClose(got, fd, scaledTolerance(fd, 1e-3), 'dinp vs finite differences');
    expectClose(added, fd, scaledTolerance(fd, 1e-3), 'accumulated dinp vs finite differences');
  });

  it('rejects p outside [0, 1)', async () => {
    const gpu = await testGpu();
    const t = gpu.tensor([8], 't');
    for (const p of [1, 1.5, -0.1, Number.NaN]) {
      expect(() => dropoutForward(gpu, t, gpu.tensor([8], 'mask'), gpu.tensor([8], 'inp'), 8, p, 0, 0)).toThrow(
        /dropout: p must be in \[0, 1\), got/,
      );
    }
  });
});
