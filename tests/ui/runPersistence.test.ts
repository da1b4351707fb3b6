// The runs kept in the browser, on the in-memory backend (storage.ts's stand-in with the same API):
// records and checkpoints written, read back newest first and deleted together; records of the
// first version read back as finished runs; what the page does with an interrupted run.
import { beforeEach, describe, expect, it } from 'vitest';
import { labStorage, memoryBackend, setLabStorage } from '../../src/data/storage.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import {
  deleteRun,
  interruptedRun,
  restorePlan,
  reviveStoredRun,
  saveRun,
  saveRunCheckpoint,
  storedBaseFiles,
  storedCheckpoint,
  storedRuns,
  type StoredRun,
} from '../../src/ui/runPersistence.ts';
import { useRunStore } from '../../src/ui/stores/runStore.ts';

const config = parseRlConfig({ max_steps: 6, seed: 3 });
const metrics = (step: number) => ({ step, reward: step / 10 }) as unknown as StepMetrics;

function run(id: string, startedAt: string, patch: Partial<StoredRun> = {}): StoredRun {
  return {
    version: 2,
    id,
    startedAt,
    updatedAt: startedAt,
    model: 'demo model',
    dataset: 'demo',
    config,
    status: 'running',
    step: 2,
    metrics: [metrics(1), metrics(2)],
    evals: [],
    rollouts: [],
    checkpoint: null,
    autoResumedFrom: null,
    ...patch,
  };
}

describe('stored runs', () => {
  beforeEach(() => setLabStorage(memoryBackend()));

  it("keeps a LoRA run's frozen base once, however many autosaves and runs name it, and lets it go with the last", async () => {
    const base = { sha256: 'ab'.repeat(32), label: 'Qwen/Qwen2.5-0.5B-Instruct' };
    const baseFiles = new Uint8Array(1000).fill(7).buffer;
    const autosave = (step: number) => ({ version: 2 as const, bytes: new Uint8Array([step]).buffer, fileName: `alphaalign-step-${step}-adapter.zip`, step, base });
    const a = run('a', '2026-01-01T00:00:00.000Z');
    const b = run('b', '2026-02-01T00:00:00.000Z');
    await saveRunCheckpoint(a, autosave(1), baseFiles);
    await saveRunCheckpoint(a, autosave(2), null);
    await saveRunCheckpoint(b, autosave(1), new Uint8Array(1000).fill(9).buffer);
    // One base under its hash, the first sent; each autosave only its own bytes.
    expect(await labStorage().store('bases').keys()).toEqual([base.sha256]);
    expect(new Uint8Array((await storedBaseFiles(base.sha256))!)[0]).toBe(7);
    expect(await storedCheckpoint('a')).toMatchObject({ step: 2, base });
    expect((await storedCheckpoint('a'))!.bytes.byteLength).toBe(1);
    await deleteRun('a');
    expect(await storedBaseFiles(base.sha256)).not.toBeNull();
    await deleteRun('b');
    expect(await storedBaseFiles(base.sha256)).toBeNull();
  });

  it('keeps records and checkpoints, lists newest first, deletes both', async () => {
    const old = run('a', '2026-01-01T00:00:00.000Z', { status: 'finished', step: 6 });
    const recent = run('b', '2026-02-01T00:00:00.000Z');
    await saveRun(old);
    await saveRunCheckpoint({ ...recent, checkpoint: { step: 1, fileName: 'alphaalign-step-1.zip', savedAt: '' } }, { version: 2, bytes: new Uint8Array([1, 2, 3]).buffer, fileName: 'alphaalign-step-1.zip', step: 1, base: null });
    const runs = await storedRuns();
    expect(runs.map((r) => r.id)).toEqual(['b', 'a']);
    expect(runs[0]!.checkpoint?.step).toBe(1);
    expect(runs[0]!.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(runs[0]!.config).toEqual(config);
    expect([...new Uint8Array((await storedCheckpoint('b'))!.bytes)]).toEqual([1, 2, 3]);
    expect(await storedCheckpoint('a')).toBeNull();

    await deleteRun('b');
    expect((await storedRuns()).map((r) => r.id)).toEqual(['a']);
    expect(await storedCheckpoint('b')).toBeNull();
  });

  it('reads back the first version’s finished runs, and skips what is not a run', async () => {
    const v1 = { version: 1, id: '2025-12-01T10:00:00.000Z', finishedAt: '2025-12-01T10:00:00.000Z', model: 'demo model', dataset: 'demo', config, metrics: [metrics(1), metrics(2), metrics(3)], evals: [] };
    await labStorage().store('runs').put(v1.id, v1);
    await labStorage().store('runs').put('junk', { version: 2, id: 'junk', config: { max_steps: -1 } });
    const [revived, ...rest] = await storedRuns();
    expect(rest).toEqual([]);
    expect(revived).toMatchObject({ id: v1.id, status: 'finished', step: 3, startedAt: v1.finishedAt, checkpoint: null, rollouts: [] });
    expect(reviveStoredRun({ ...run('x', ''), status: 'exploded' })).toBeNull();
  });
});

describe('an interrupted run when the page opens', () => {
  const checkpoint = { step: 1, fileName: 'alphaalign-step-1.zip', savedAt: '' };

  it('is the newest run still running or paused', () => {
    const runs = [run('c', '3', { status: 'stopped' }), run('b', '2', { status: 'paused' }), run('a', '1')];
    expect(interruptedRun(runs)?.id).toBe('b');
    expect(interruptedRun([run('a', '1', { status: 'finished' })])).toBeNull();
  });

  it('resumes from its checkpoint on its own once, at a click after a pause or a second interruption', () => {
    expect(restorePlan(run('a', '1', { checkpoint }))).toEqual({ kind: 'resume', fromStep: 1, automatic: true });
    expect(restorePlan(run('a', '1', { checkpoint, status: 'paused' }))).toEqual({ kind: 'resume', fromStep: 1, automatic: false });
    expect(restorePlan(run('a', '1', { checkpoint, autoResumedFrom: 1 }))).toEqual({ kind: 'resume', fromStep: 1, automatic: false });
    expect(restorePlan(run('a', '1', { checkpoint: { ...checkpoint, step: 2 }, autoResumedFrom: 1 }))).toEqual({ kind: 'resume', fromStep: 2, automatic: true });
  });

  it('with no checkpoint yet, is offered to start again', () => {
    expect(restorePlan(run('a', '1'))).toEqual({ kind: 'restart' });
  });
});

describe('the Training form filled from a run’s config', () => {
  it('composes back to that very config, keys outside the form included', () => {
    const custom = parseRlConfig({ max_steps: 7, template: 'Q: {{prompt}}', warmup_steps: 2, finetune: { kind: 'lora', rank: 4, alpha: 32 } });
    useRunStore.getState().adoptConfig(custom);
    const state = useRunStore.getState();
    expect(state.form.max_steps).toBe('7');
    expect(state.errors).toEqual({});
    expect(state.config).toEqual(custom);
  });
});
