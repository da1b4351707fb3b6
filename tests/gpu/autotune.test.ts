import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapterKey, autotunePick, autotuneSettled, requestAutotune, tune, useAutotuneStore, type TuneJob } from '../../src/gpu/autotune.ts';
import { autotuneSettingsStore } from '../../src/gpu/autotuneBrowser.ts';
import { autotuneCachePath, autotuneFileStore } from '../../src/gpu/autotuneFile.ts';
import { chooseMatmulKernel, matmulCandidates, matmulEntry, matmulForward, matmulShapeClass, matmulTuneClass, matmulTuneJob } from '../../src/gpu/kernels/matmul.ts';
import { memoryBackend } from '../../src/data/storage.ts';
import { APP_VERSION } from '../../src/version.ts';
import * as ref from '../reference/matmul.ts';
import { randn } from '../helpers/random.ts';
import { testGpu, upload } from '../helpers/testGpu.ts';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'autotune-')), 'cache', 'autotune.json');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('autotune stores', () => {
  it('the file store starts empty, keeps what it saved, and ignores a file that is not its JSON with a warning naming it', async () => {
    const path = tempFile();
    const store = autotuneFileStore(path);
    expect(await store.load()).toEqual({});
    const picks = { 'google | swiftshader | d | SwiftShader | lab 0.1.0': { 'NN large vec4': 'tiled128x64k16' } };
    await store.save(picks);
    expect(await autotuneFileStore(path).load()).toEqual(picks);
    for (const bad of ['{"adapter": {"NN": 3}}', 'not json', '[]']) {
      writeFileSync(path, bad);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      expect(await store.load()).toEqual({});
      expect(warn.mock.calls[0]![0]).toContain(path);
    }
  });

  it('the file is LAB_AUTOTUNE_CACHE, else under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(autotuneCachePath({ LAB_AUTOTUNE_CACHE: '/x/picks.json', XDG_CACHE_HOME: '/c' })).toBe('/x/picks.json');
    expect(autotuneCachePath({ XDG_CACHE_HOME: '/c' })).toBe('/c/alphaalign-lab/autotune.json');
    expect(autotuneCachePath({})).toMatch(/\.cache\/alphaalign-lab\/autotune\.json$/);
  });

  it("the page's store keeps picks in the lab's settings", async () => {
    const storage = memoryBackend();
    const store = autotuneSettingsStore(storage);
    expect(await store.load()).toEqual({});
    await store.save({ a: { 'NT matvec': 'matvecSubgroup' } });
    expect(await autotuneSettingsStore(storage).load()).toEqual({ a: { 'NT matvec': 'matvecSubgroup' } });
  });

  it('keys picks by adapter and lab version', async () => {
    const gpu = await testGpu();
    const key = adapterKey(gpu.adapter);
    expect(key).toContain(gpu.adapter.description);
    expect(key).toContain(`lab ${APP_VERSION}`);
    expect(adapterKey(gpu.adapter, '9.9.9')).not.toBe(key);
  });
});

describe('autotune on this adapter', () => {
  it('checks and times every candidate of a matmul class and picks one that passed', async () => {
    const gpu = await testGpu();
    const pooled = () => gpu.pool.stats().liveBytes + gpu.pool.stats().pooledBytes;
    const t = gpu.tensor([4], 'first matmul');
    matmulForward(gpu, t, t, t, null, 2, 2, 1); // makes the one bias placeholder every matmul shares
    gpu.release(t);
    const before = pooled();
    // A ragged shape in the vec4 path; two candidates keep SwiftShader's time short.
    const job = matmulTuneJob(gpu, 70, 68, 36, 'NT', ['register', 'tiled64x64k16']);
    try {
      const result = await tune(gpu, job, 2);
      expect(result.rejected).toEqual([]);
      expect(['register', 'tiled64x64k16']).toContain(result.pick);
      for (const id of ['register', 'tiled64x64k16']) expect(result.seconds[id]).toBeGreaterThan(0);
    } finally {
      job.release();
    }
    // Its operands are its own, not the pool's (which would keep them for the rest of a run).
    expect(pooled()).toBe(before);
    expect(() => matmulTuneJob(gpu, 8, 8, 8, 'NN', ['tiled64x64k16'])).toThrow(/'register' must be among/);
  });

  it('drops a candidate whose output is wrong, however fast', async () => {
    const gpu = await testGpu();
    const [M, N, K] = [9, 12, 8];
    const a = randn(M * K, 1);
    const b = randn(K * N, 2);
    const expected = ref.matmulForward(a, b, null, M, N, K, 'NN');
    const aT = upload(gpu, [M, K], a);
    const bT = upload(gpu, [K, N], b);
    const right = gpu.tensor([M, N], 'right');
    const wrong = gpu.tensor([M, N], 'wrong');
    const candidates = [
      { id: 'right', dispatch: matmulForward(gpu, right, aT, bT, null, M, N, K) },
      // The same kernel with the product doubled: as fast, and wrong.
      { id: 'wrong', dispatch: matmulForward(gpu, wrong, aT, bT, null, M, N, K, { alpha: 2 }) },
    ];
    const job: TuneJob = {
      candidates,
      async check(id) {
        gpu.run([candidates.find((c) => c.id === id)!.dispatch]);
        const got = await gpu.readF32(id === 'right' ? right : wrong);
        return got.every((v, i) => Math.abs(v - expected[i]!) <= 1e-4);
      },
      release: () => gpu.release(aT, bT, right, wrong),
    };
    const result = await tune(gpu, job, 1);
    job.release();
    expect(result).toMatchObject({ pick: 'right', rejected: ['wrong'] });
    expect(Object.keys(result.seconds)).toEqual(['right']);
  });

  it('remembers picks per adapter in its store: loads them, tunes a new class once in the background, saves it', async () => {
    const gpu = await testGpu();
    const path = tempFile();
    const key = adapterKey(gpu.adapter);
    await autotuneFileStore(path).save({ [key]: { 'NN large vec4': 'tiled64x64k32' }, 'another adapter': { 'NN large vec4': 'register' } });
    await useAutotuneStore(gpu, autotuneFileStore(path));
    expect(autotunePick(gpu, 'NN large vec4')).toBe('tiled64x64k32');
    expect(autotunePick(gpu, 'TN small scalar')).toBeUndefined();

    let jobs = 0;
    const makeJob = () => {
      jobs++;
      return matmulTuneJob(gpu, 13, 67, 33, 'TN', ['register', 'tiled64x64k16']);
    };
    requestAutotune(gpu, 'TN small scalar', makeJob);
    requestAutotune(gpu, 'TN small scalar', makeJob); // already asked for: nothing more
    await autotuneSettled(gpu);
    expect(jobs).toBe(1);
    const pick = autotunePick(gpu, 'TN small scalar');
    expect(['register', 'tiled64x64k16']).toContain(pick);
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    expect(saved[key]).toEqual({ 'NN large vec4': 'tiled64x64k32', 'TN small scalar': pick });
    expect(saved['another adapter']).toEqual({ 'NN large vec4': 'register' });
  });

  it('does not take a pick made among other candidates (an older build, the other tuning) for one among its own', async () => {
    const gpu = await testGpu();
    const path = tempFile();
    const [M, N, K] = [70, 68, 36];
    const stale = { [matmulShapeClass(M, N, K, 'NN')]: 'register', [matmulTuneClass(M, N, K, 'NN', ['register'])]: 'register' };
    await autotuneFileStore(path).save({ [adapterKey(gpu.adapter)]: stale });
    await useAutotuneStore(gpu, autotuneFileStore(path));
    // Neither stale pick is found: the default serves while the class is tuned among today's candidates.
    expect(chooseMatmulKernel(gpu, M, N, K, 'NN', 'gpu')).toBe('tiled64x64k16');
    await autotuneSettled(gpu);
  });

  it("on a GPU's path the choice serves a default, tunes the shape's class at first use, then uses and keeps the pick", async () => {
    const gpu = await testGpu();
    const path = tempFile();
    await useAutotuneStore(gpu, autotuneFileStore(path));
    const [M, N, K] = [70, 68, 36]; // a small class: 64×64 tiles by default
    expect(chooseMatmulKernel(gpu, M, N, K, 'NN', 'gpu')).toBe('tiled64x64k16');
    await autotuneSettled(gpu);
    const pick = chooseMatmulKernel(gpu, M, N, K, 'NN', 'gpu');
    expect(matmulCandidates(gpu, M, N, K, 'NN', 'gpu')).toContain(pick);
    expect(JSON.parse(readFileSync(path, 'utf8'))[adapterKey(gpu.adapter)]).toEqual({ [matmulTuneClass(M, N, K, 'NN', matmulCandidates(gpu, M, N, K, 'NN', 'gpu'))]: pick });
    // matmulForward builds with the pick, and it computes the product.
    const a = randn(M * K, 5);
    const b = randn(K * N, 6);
    const out = gpu.tensor([M, N], 'out');
    const d = matmulForward(gpu, out, upload(gpu, [M, K], a), upload(gpu, [K, N], b), null, M, N, K, { tuning: 'gpu' });
    expect(d.label.startsWith(`${matmulEntry(pick, M, N, K, 'NN')} `)).toBe(true);
    if (pick.startsWith('tiled')) expect(d.label).toContain(pick);
    gpu.run([d]);
    const got = await gpu.readF32(out);
    const expected = ref.matmulForward(a, b, null, M, N, K, 'NN');
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-4);
  });
});
