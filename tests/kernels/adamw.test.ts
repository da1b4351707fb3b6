import { describe, expect, it } from 'vitest';
import { adamwParams, adamwUpdate, type AdamwHyper } from '../../src/gpu/kernels/adamw.ts';
import * as ref from '../reference/adamw.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { randn } from '../helpers/random.ts';
import { testGpu, upload } from '../helpers/testGpu.ts';

describe('adamw', () => {
  // N = 203 is not a multiple of the 256-wide workgroup (nor of 64).
  const N = 203;
  const base: AdamwHyper = { lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

  it('follows torch.optim.AdamW for several steps, with a clip scale ≠ 1 and a changing lr', async () => {
    const gpu = await testGpu();
    const scale = Math.fround(0.37);
    const p64 = randn(N, 1);
    const m64 = new Float64Array(N);
    const v64 = new Float64Array(N);
    const param = upload(gpu, [N], p64);
    const m = upload(gpu, [N], m64);
    const v = upload(gpu, [N], v64);
    const grad = gpu.tensor([N], 'grad');
    const scaleT = upload(gpu, [1], [scale]);
    const update = adamwUpdate(gpu, param, m, v, grad, scaleT, N, base, 1); // built once

    for (let t = 1; t <= 5; t++) {
      const h = { ...base, lr: base.lr * (1 - 0.1 * t) }; // a schedule: new lr every step
      const g = randn(N, 10 + t, t === 3 ? 20 : 1); // step 3: large gradients
      gpu.write(grad, Float32Array.from(g));
      update.setParams(adamwParams(N, h, t));
      gpu.run([update]);
      ref.adamwUpdate(p64, m64, v64, g, scale, N, h, t);
    }
    const [gotP, gotM, gotV] = await Promise.all([gpu.readF32(param), gpu.readF32(m), gpu.readF32(v)]);
    expectClose(gotM, m64, scaledTolerance(m64, 1e-5), 'm');
    expectClose(gotV, v64, scaledTolerance(v64, 1e-5), 'v');
    expectClose(gotP, p64, scaledTolerance(p64, 1e-5), 'param');
  });

  it('a non-finite scale (NaN gradient norm) leaves param, m and v untouched', async () => {
    const gpu = await testGpu();
    const p0 = Float32Array.from(randn(N, 2));
    const m0 = Float32Array.from(randn(N, 3, 0.1));
    const v0 = Float32Array.from(randn(N, 4, 0.1), Math.abs);
    const param = gpu.tensor([N], 'param', p0);
    const m = gpu.tensor([N], 'm', m0);
    const v = gpu.tensor([N], 'v', v0);
    const grad = upload(gpu, [N], randn(N, 5));
    for (const bad of [NaN, Infinity]) {
      gpu.run([adamwUpdate(gpu, param, m, v, grad, upload(gpu, [1], [bad]), N, base, 4)]);
      const [gotP, gotM, gotV] = await Promise.all([gpu.readF32(param), gpu.readF32(m), gpu.readF32(v)]);
      expect([...gotP]).toEqual([...p0]);
      expect([...gotM]).toEqual([...m0]);
      expect([...gotV]).toEqual([...v0]);
    }
  });

  it('adamwParams rejects a step below 1', () => {
    expect(() => adamwParams(N, base, 0)).toThrow(RangeError);
  });
});
