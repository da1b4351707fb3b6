// The record of the run in the worker, kept from the worker's events (the page's stores take each
// event first, as wire.ts does), on the in-memory storage backend: made before the worker hears of
// the run, written at every step, the checkpoint with it, the state as it changes; then listed,
// reopened into the stores, and deleted. A run the worker refuses to start leaves no record.
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryBackend, setLabStorage } from '../../src/data/storage.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { storedCheckpoint, storedRuns } from '../../src/ui/runPersistence.ts';
import { useMetricsStore } from '../../src/ui/stores/metricsStore.ts';
import { useModelStore } from '../../src/ui/stores/modelStore.ts';
import { keepStartingRun, recordWorkerEvent, useRunHistoryStore } from '../../src/ui/stores/runHistoryStore.ts';
import { useRunStore } from '../../src/ui/stores/runStore.ts';
import { event, type ModelSummary, type WorkerEventBody } from '../../src/worker/protocol.ts';

const config = parseRlConfig({ max_steps: 3, seed: 5 });
const metrics = (step: number) => ({ step, reward: step / 10 }) as unknown as StepMetrics;
const send = (body: WorkerEventBody) => recordWorkerEvent(event(body));
const settle = async () => {
  await storedRuns();
  await new Promise((r) => setTimeout(r, 20));
};

describe('the run history store', () => {
  beforeAll(() => {
    setLabStorage(memoryBackend());
    useModelStore.setState({ summary: { label: 'demo model' } as ModelSummary, status: 'ready' });
  });

  it('keeps a run before the worker starts it, and forgets it when the worker refuses to start it', async () => {
    useRunStore.setState({ runId: 'run-refused', state: 'starting' });
    await keepStartingRun('run-refused', config, false);
    // Written before the worker hears of the run: a reload now finds it and offers to start it again.
    expect((await storedRuns()).map((r) => [r.id, r.status, r.step, r.checkpoint])).toEqual([['run-refused', 'running', 0, null]]);
    expect(useRunHistoryStore.getState().runs.map((r) => r.id)).toEqual(['run-refused']);
    send({ type: 'error', area: 'train', message: 'no model is loaded', recovery: 'Load a model.' });
    await settle();
    expect(await storedRuns()).toEqual([]);
    expect(useRunHistoryStore.getState().runs).toEqual([]);
    // A later run's events do not touch the forgotten one.
    send({ type: 'runStarted', firstStep: 0, maxSteps: 3, trainPrompts: 4, evalPrompts: 0, dropped: 0, config });
    await settle();
    expect(await storedRuns()).toEqual([]);
  });

  it('writes the run at every step and checkpoint, and its state as it changes', async () => {
    useRunStore.setState({ runId: 'run-a', state: 'starting' });
    await keepStartingRun('run-a', config, false);
    const [kept] = await storedRuns();
    send({ type: 'runStarted', firstStep: 0, maxSteps: 3, trainPrompts: 4, evalPrompts: 0, dropped: 0, config });
    await settle();
    expect((await storedRuns()).map((r) => [r.id, r.status, r.step, r.model, r.startedAt])).toEqual([['run-a', 'running', 0, 'demo model', kept!.startedAt]]);
    // The worker's error after the run started is the run's to show, not a refused start.
    send({ type: 'error', area: 'train', message: 'a run is already in progress', recovery: 'Pause, resume or stop it first.' });
    await settle();
    expect((await storedRuns()).map((r) => r.id)).toEqual(['run-a']);

    useMetricsStore.getState().add(metrics(1));
    send({ type: 'step', metrics: metrics(1), rollouts: [] });
    send({ type: 'checkpoint', reason: 'autosave', bytes: new Uint8Array([7, 8]).buffer, step: 1, fileName: 'alphaalign-step-1.zip', base: null });
    useMetricsStore.getState().add(metrics(2));
    send({ type: 'step', metrics: metrics(2), rollouts: [] });
    await settle();
    let [run] = await storedRuns();
    expect(run).toMatchObject({ status: 'running', step: 2, checkpoint: { step: 1, fileName: 'alphaalign-step-1.zip' } });
    expect(run!.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect([...new Uint8Array((await storedCheckpoint('run-a'))!.bytes)]).toEqual([7, 8]);
    expect(useRunHistoryStore.getState().checkpointStep).toBe(1);
    // The list shows the run as it goes.
    expect(useRunHistoryStore.getState().runs[0]?.step).toBe(2);

    send({ type: 'runState', state: 'stopped', step: 2, maxSteps: 3 });
    await settle();
    [run] = await storedRuns();
    expect(run!.status).toBe('stopped');
    expect(useRunHistoryStore.getState().runs.map((r) => r.status)).toEqual(['stopped']);
  });

  it('reopens a stored run into the stores and the form, and deletes it with its checkpoint', async () => {
    useMetricsStore.getState().reset();
    useRunStore.getState().adoptConfig(parseRlConfig({ max_steps: 9 }));
    useRunHistoryStore.getState().open('run-a');
    expect(useMetricsStore.getState().history.map((m) => m.step)).toEqual([1, 2]);
    expect(useRunStore.getState()).toMatchObject({ runId: 'run-a', step: 2, maxSteps: 3, state: 'idle' });
    expect(useRunStore.getState().form.max_steps).toBe('3');

    await useRunHistoryStore.getState().remove('run-a');
    expect(await storedRuns()).toEqual([]);
    expect(await storedCheckpoint('run-a')).toBeNull();
    expect(useRunHistoryStore.getState().runs).toEqual([]);
    expect(useRunStore.getState().runId).toBeNull();
  });
});
