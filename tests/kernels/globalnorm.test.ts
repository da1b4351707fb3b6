import { describe, expect, it } from 'vitest';
import { globalNorm, globalNormPartialCount } from '../../src/gpu/kernels/globalnorm.ts';
import { adamwUpdate } from '../../src/gpu/kernels/adamw.ts';
import { f32, u32 } from '../../src/gpu/params.ts';
import * as ref from '../reference/globalnorm.ts';
import { expectClose } from '../helpers/compare.ts';
import { randn } from '../helpers/random.ts';
import { testGpu, upload } from '../helpers/testGpu.ts';
import type { Gpu, Tensor } from '../../src/gpu/gpu.ts';

/** Builds the dispatches for these gradients once; returns them with the norm and clip tensors. */
function setup(gpu: Gpu, data: Float64Array[], maxNorm: number) {
  const grads: Tensor[] = data.map((d, i) => upload(gpu, [d.length], d, `grad ${i}`));
  const partials = gpu.tensor([globalNormPartialCount(grads)], 'partials');
  const norm = gpu.tensor([1], 'norm');
  const clip = gpu.tensor([1], 'clip');
  return { grads, norm, clip, dispatches: globalNorm(gpu, norm, clip, partials, grads, maxNorm), count: partials.size };
}

async function readBoth(gpu: Gpu, norm: Tensor, clip: Tensor) {
  const [n, c] = await Promise.all([gpu.readF32(norm), gpu.readF32(clip)]);
  return { norm: n[0]!, clip: c[0]! };
}

describe('globalnorm', () => {
  it('matches float64 over tensors of odd sizes, one > 100k elements (rel 1e-4), clip above and below maxNorm', async () => {
    const gpu = await testGpu();
    const sizes = [1, 37, 5000, 100_003, 231, 4097];
    const data = sizes.map((n, i) => randn(n, 100 + i, 0.01 * (i + 1)));
    const maxLow = 0.5; // the norm is ≈ 10: clipped
    const { norm, clip, dispatches, count } = setup(gpu, data, maxLow);
    expect(count).toBe(1 + 1 + 2 + 25 + 1 + 2);
    for (const maxNorm of [maxLow, 1e3]) {
      dispatches.at(-1)!.setParams([u32(count), u32(0), f32(maxNorm)]);
      gpu.run(dispatches);
      const got = await readBoth(gpu, norm, clip);
      const expected = ref.globalNorm(data, maxNorm);
      expectClose([got.norm], [expected.norm], { atol: 0, rtol: 1e-4 }, 'norm');
      expectClose([got.clip], [expected.clip], { atol: 0, rtol: 1e-4 }, `clip (maxNorm ${maxNorm})`);
      expect(expected.clip < 1).toBe(maxNorm === maxLow);
    }
  });

  it('matches float64 over small tensors (rel 1e-5), clip above and below maxNorm, deterministic', async () => {
    const gpu = await testGpu();
    const data = [1, 37, 129, 500, 255].map((n, i) => randn(n, 200 + i));
    for (const maxNorm of [3, 100]) {
      const { norm, clip, dispatches } = setup(gpu, data, maxNorm);
      gpu.run(dispatches);
      const first = await readBoth(gpu, norm, clip);
      gpu.run(dispatches);
      const second = await readBoth(gpu, norm, clip);
      const expected = ref.globalNorm(data, maxNorm);
      expectClose([first.norm], [expected.norm], { atol: 0, rtol: 1e-5 }, 'norm');
      expectClose([first.clip], [expected.clip], { atol: 0, rtol: 1e-5 }, `clip (maxNorm ${maxNorm})`);
      expect(second).toEqual(first); // bit for bit: every sum has a fixed order
    }
  });

  it('a NaN gradient makes the norm and clip NaN, an Inf one makes the norm Inf; adamwUpdate then skips', async () => {
    const gpu = await testGpu();
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = [randn(300, 1), randn(9000, 2), randn(5, 3)];
      data[1]![7777] = bad;
      const { grads, norm, clip, dispatches } = setup(gpu, data, 1);
      const N = 300;
      const p0 = Float32Array.from(randn(N, 4));
      const param = gpu.tensor([N], 'param', p0);
      const m = upload(gpu, [N], new Float64Array(N));
      const v = upload(gpu, [N], new Float64Array(N));
      const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
      gpu.run([...dispatches, adamwUpdate(gpu, param, m, v, grads[0]!, clip, N, hyper, 1)]);
      const got = await readBoth(gpu, norm, clip);
      if (Number.isNaN(bad)) expect(got.norm).toBeNaN();
      else expect(got.norm).toBe(Infinity);
      expect(got.clip).toBeNaN();
      expect([...(await gpu.readF32(param))]).toEqual([...p0]);
    }
  });
});
