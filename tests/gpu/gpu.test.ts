import { describe, expect, it } from 'vitest';
import { Gpu, GpuError, grid1d } from '../../src/gpu/gpu.ts';
import { bindingCapFromEnv } from '../../src/gpu/node.ts';
import { openNodeDevice } from '../../src/gpu/nodeDevice.ts';
import { rowsPerBlock } from '../../src/gpu/rowBlocks.ts';
import { loadNodeShaders } from '../../src/gpu/nodeShaders.ts';
import { f32, packParams, u32 } from '../../src/gpu/params.ts';
import { rmsnormForward } from '../../src/gpu/kernels/rmsnorm.ts';
import { testGpu } from '../helpers/testGpu.ts';

/** A device of its own, for tests that break or destroy it. */
async function freshGpu(shaderOverrides: Partial<ReturnType<typeof loadNodeShaders>> = {}): Promise<Gpu> {
  return new Gpu(await openNodeDevice(), { ...loadNodeShaders(), ...shaderOverrides });
}

describe('grid1d', () => {
  it('covers n invocations, folding into y past 65535 workgroups', () => {
    expect(grid1d(1, 64)).toEqual([1, 1, 1]);
    expect(grid1d(65, 64)).toEqual([2, 1, 1]);
    expect(grid1d(65535 * 64, 64)).toEqual([65535, 1, 1]);
    const [x, y] = grid1d(65536 * 64 + 1, 64);
    expect(y).toBe(2);
    expect(x * y).toBeGreaterThanOrEqual(65537);
    expect(x).toBeLessThanOrEqual(65535);
  });
});

describe('packParams', () => {
  it('packs 4-byte scalars in order into 16-byte steps', () => {
    const bytes = packParams([u32(7), f32(0.5), u32(3), u32(1), f32(-2)]);
    expect(bytes.byteLength).toBe(32);
    const view = new DataView(bytes);
    expect(view.getUint32(0, true)).toBe(7);
    expect(view.getFloat32(4, true)).toBe(0.5);
    expect(view.getFloat32(16, true)).toBe(-2);
  });

  it('rejects a u32 that is negative or fractional', () => {
    expect(() => packParams([u32(-1)])).toThrow(/u32 parameter 0/);
    expect(() => packParams([u32(1.5)])).toThrow(/u32 parameter 0/);
  });
});

describe('Gpu', () => {
  it('caches a pipeline by shader, entry point and constants', async () => {
    const gpu = await testGpu();
    expect(gpu.pipeline('rmsnorm', 'rmsnormForward')).toBe(gpu.pipeline('rmsnorm', 'rmsnormForward'));
    expect(gpu.pipeline('rmsnorm', 'rmsnormForward')).not.toBe(gpu.pipeline('rmsnorm', 'rmsnormBackward'));
  });

  it('reuses a released buffer of the same size', async () => {
    const gpu = await testGpu();
    const a = gpu.tensor([10, 7], 'a');
    const buffer = a.buffer;
    gpu.release(a);
    const b = gpu.tensor([70], 'b');
    expect(b.buffer).toBe(buffer);
    gpu.release(b);
  });

  it('keeps the peak of bytes held, in use or pooled: a reused buffer adds nothing, a new size does', async () => {
    const gpu = new Gpu(await openNodeDevice(), loadNodeShaders());
    const a = gpu.tensor([1024], 'a'); // 4 KiB
    gpu.release(a);
    const again = gpu.tensor([1024], 'again'); // the same buffer
    expect(gpu.pool.stats().peakBytes).toBe(4096);
    const b = gpu.tensor([100], 'b'); // 400 bytes, rounded to 512
    expect(gpu.pool.stats()).toEqual({ liveBytes: 4096 + 512, pooledBytes: 0, peakBytes: 4096 + 512 });
    gpu.release(again, b);
    gpu.pool.trim();
    expect(gpu.pool.stats()).toEqual({ liveBytes: 0, pooledBytes: 0, peakBytes: 4096 + 512 });
    gpu.destroy();
  });

  it('frees pooled buffers of sizes not taken again before its holdings pass the hold limit', async () => {
    const gpu = new Gpu(await openNodeDevice(), loadNodeShaders());
    gpu.pool.holdAtMost(10_240);
    // A generation batch of one length, released: pooled in sizes the next batch does not take.
    gpu.release(gpu.tensor([1024], 'batch 1 a'), gpu.tensor([1024], 'batch 1 b')); // 8 KiB pooled
    const next = gpu.tensor([768], 'batch 2'); // 3 KiB more would hold 11 KiB: one pooled buffer goes first
    expect(gpu.pool.stats()).toEqual({ liveBytes: 3072, pooledBytes: 4096, peakBytes: 8192 });
    // What is in use is never freed: past the limit, the pool still hands out what is asked.
    const big = gpu.tensor([4096], 'big');
    expect(gpu.pool.stats()).toEqual({ liveBytes: 3072 + 16_384, pooledBytes: 0, peakBytes: 3072 + 16_384 });
    gpu.release(next, big);
    gpu.destroy();
  });

  it('destroys what is released while discarding, and keeps what was pooled before', async () => {
    const gpu = new Gpu(await openNodeDevice(), loadNodeShaders());
    gpu.release(gpu.tensor([256], 'pooled before')); // 1 KiB pooled
    const evicted = [gpu.tensor([512], 'evicted a'), gpu.tensor([128], 'evicted b')];
    expect(gpu.pool.stats()).toEqual({ liveBytes: 2048 + 512, pooledBytes: 1024, peakBytes: 1024 + 2048 + 512 });
    gpu.pool.discarding(() => gpu.release(...evicted));
    expect(gpu.pool.stats()).toEqual({ liveBytes: 0, pooledBytes: 1024, peakBytes: 1024 + 2048 + 512 });
    // Releases after it pool again.
    gpu.release(gpu.tensor([64], 'after'));
    expect(gpu.pool.stats()).toEqual({ liveBytes: 0, pooledBytes: 1024 + 256, peakBytes: 1024 + 2048 + 512 });
    gpu.destroy();
  });

  it('round-trips data and refuses writes past the end', async () => {
    const gpu = await testGpu();
    const t = gpu.tensor([5], 't', new Float32Array([1, 2, 3, 4, 5]));
    expect([...(await gpu.readF32(t, 1, 3))]).toEqual([2, 3, 4]);
    expect(() => gpu.write(t, new Float32Array(3), 3)).toThrow(/overflows 5/);
    gpu.release(t);
  });

  it('binds, writes, reads and clears a view of some rows in place; refuses a view it cannot bind', async () => {
    const gpu = await testGpu();
    // (8, 64): a row is 256 bytes, so every row starts at a bindable offset.
    const table = gpu.tensor([8, 64], 'table', Float32Array.from({ length: 8 * 64 }, (_, i) => i));
    const rows = table.rows(2, 3);
    expect(rows.shape).toEqual([3, 64]);
    expect(rows.byteOffset).toBe(2 * 256);
    expect(Array.from(await gpu.readF32(rows, 0, 2))).toEqual([128, 129]);
    gpu.write(rows, new Float32Array([-1]), 1);
    expect((await gpu.readF32(table, 129, 1))[0]).toBe(-1);
    // An RMSNorm of 3 rows of 2s (weight 1) writes 1s into the view's rows only.
    const weight = gpu.tensor([64], 'weight', new Float32Array(64).fill(1));
    const twos = gpu.tensor([3, 64], 'twos', new Float32Array(3 * 64).fill(2));
    const rstd = gpu.tensor([3], 'rstd');
    gpu.run([rmsnormForward(gpu, rows, rstd, twos, weight, 3, 64, 0)]);
    const after = await gpu.readF32(table);
    expect(after[2 * 64 - 1]).toBe(2 * 64 - 1);
    expect(Array.from(after.slice(2 * 64, 5 * 64))).toEqual(Array(3 * 64).fill(1));
    expect(after[5 * 64]).toBe(5 * 64);
    gpu.clear([table.rows(7, 1)]);
    expect(Array.from(await gpu.readF32(table, 7 * 64 - 1, 2))).toEqual([after[7 * 64 - 1]!, 0]);
    expect(() => table.rows(6, 3)).toThrow(/table: rows \[6, 9\) are not inside its 8 rows/);
    const narrow = gpu.tensor([8, 4], 'narrow');
    expect(() => rmsnormForward(gpu, narrow.rows(1, 1), rstd, narrow.rows(1, 1), weight, 1, 4, 1e-6)).toThrow(/starts at byte 16, not a multiple of this device's minStorageBufferOffsetAlignment \(256\)/);
    gpu.release(table, weight, twos, rstd, narrow);
  });

  it('works to a binding cap below the adapter\'s: reports it, and refuses to bind a tensor over it', async () => {
    const gpu = new Gpu(await openNodeDevice(), loadNodeShaders(), { maxBindingBytes: 1024 });
    expect(gpu.maxBindingBytes).toBe(1024);
    expect(gpu.adapter.limits.maxStorageBufferBindingSize).toBe(1024);
    const big = gpu.tensor([2, 256], 'big');
    const weight = gpu.tensor([256], 'weight');
    const rstd = gpu.tensor([2], 'rstd');
    expect(() => rmsnormForward(gpu, big, rstd, big, weight, 2, 256, 1e-6)).toThrow(/big is 2048 bytes, over the 1024-byte binding cap: it must be stored as row blocks/);
    const another = await openNodeDevice();
    expect(() => new Gpu(another, loadNodeShaders(), { maxBindingBytes: 100 })).toThrow(/binding cap must be a whole number of bytes ≥ 256, got 100/);
    expect(bindingCapFromEnv({})).toBeUndefined();
    expect(bindingCapFromEnv({ LAB_MAX_BINDING_MIB: '128' })).toBe(128 * 2 ** 20);
    expect(bindingCapFromEnv({ LAB_MAX_BINDING_MIB: '0.5' })).toBe(2 ** 19);
    expect(() => bindingCapFromEnv({ LAB_MAX_BINDING_MIB: '-1' })).toThrow(/LAB_MAX_BINDING_MIB is "-1"/);
    another.device.destroy();
    gpu.destroy();
  });

  it('splits a matrix over the cap into row blocks that each fit, and refuses a row that cannot', () => {
    expect(rowsPerBlock(300, 64, 2 ** 20)).toBe(300);
    expect(rowsPerBlock(300, 64, 32 * 1024)).toBe(128);
    expect(rowsPerBlock(128_256, 2048, 128 * 2 ** 20)).toBe(16_384); // Llama-3.2-1B's embedding: 8 blocks
    expect(() => rowsPerBlock(10, 1024, 1024)).toThrow(/one row of 1024 f32 values \(4096 bytes\) is over the binding cap of 1024 bytes/);
  });

  it('times a phase with a positive duration', async () => {
    // Dawn quantises timestamps (to 100 µs on SwiftShader), so the phase must be long enough to
    // read above zero: 16 RMSNorms of 2048 rows of 1024.
    const gpu = await testGpu();
    const rows = 2048;
    const width = 1024;
    const x = gpu.tensor([rows, width], 'x', new Float32Array(rows * width).fill(1));
    const w = gpu.tensor([width], 'w', new Float32Array(width).fill(1));
    const out = gpu.tensor([rows, width], 'out');
    const rstd = gpu.tensor([rows], 'rstd');
    const phase = Array.from({ length: 16 }, () => rmsnormForward(gpu, out, rstd, x, w, rows, width, 1e-5));
    const seconds = await gpu.time(phase);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(10);
    for (const t of [x, w, out, rstd]) gpu.release(t);
  });

  it('reports a WGSL compile error with the file, line and message', async () => {
    const gpu = await freshGpu({ rmsnorm: 'fn broken( {' });
    expect(() => gpu.pipeline('rmsnorm', 'rmsnormForward')).not.toThrow();
    await expect(gpu.sync()).rejects.toThrow(/shaders\/rmsnorm\.wgsl:1:/);
    gpu.destroy();
  });

  it('reports device loss to listeners and refuses further work', async () => {
    const gpu = await freshGpu();
    const lost = new Promise<string>((resolve) => gpu.onLost(resolve));
    gpu.device.destroy();
    expect(await lost).toMatch(/GPU device was lost/);
    expect(() => gpu.run([])).toThrow(GpuError);
  });
});

describe('Gpu.clear', () => {
  it('zeroes exactly the given tensors', async () => {
    const gpu = await testGpu();
    const a = gpu.tensor([3], 'a', new Float32Array([1, 2, 3]));
    const b = gpu.tensor([2], 'b', new Float32Array([4, 5]));
    gpu.clear([a]);
    expect([...(await gpu.readF32(a))]).toEqual([0, 0, 0]);
    expect([...(await gpu.readF32(b))]).toEqual([4, 5]);
    gpu.release(a, b);
  });
});
