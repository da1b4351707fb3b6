// The Training panel's progress line: the phase in flight with its share of the step and the ETA,
// from the worker's runPhase events as wire.ts routes them; an idle run's steps follow the settings.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryBackend, setLabStorage } from '../../src/data/storage.ts';
import { DEFAULT_RL_CONFIG, parseRlConfig } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { progressView } from '../../src/ui/panels/TrainingPanel.tsx';
import { useRunStore } from '../../src/ui/stores/runStore.ts';
import { wireWorkerEvents } from '../../src/ui/stores/wire.ts';
import { event, type WorkerEventBody } from '../../src/worker/protocol.ts';

// The page's end of the worker, without a worker: wire.ts's listener, called with made-up events.
const listeners: ((e: ReturnType<typeof event>) => void)[] = [];
vi.mock('../../src/ui/engine.ts', () => ({
  onWorkerEvent: (listener: (e: ReturnType<typeof event>) => void) => {
    listeners.push(listener);
    return () => undefined;
  },
  sendToWorker: () => undefined,
}));

let nowMs = 0;
const send = (body: WorkerEventBody, atMs: number) => {
  nowMs = atMs;
  for (const listener of listeners) listener(event(body));
};
const line = () => {
  const view = progressView(useRunStore.getState());
  return `${view.steps ?? ''}${view.detail}`;
};

describe('the progress line', () => {
  beforeAll(() => {
    setLabStorage(memoryBackend());
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    wireWorkerEvents();
  });

  it('shows the phase in flight, its share of the step and the ETA, and its bar moves within the step', () => {
    const config = parseRlConfig({ max_steps: 3 });
    send({ type: 'runStarted', firstStep: 0, maxSteps: 3, trainPrompts: 8, evalPrompts: 4, dropped: 0, config }, 0);
    send({ type: 'runState', state: 'running', step: 0, maxSteps: 3 }, 0);
    send({ type: 'runPhase', phase: { kind: 'evaluating', afterStep: 0, prompts: 'held-out', done: 0, total: 2 } }, 0);
    expect(line()).toBe('Step 0 / 3 · running · evaluating held-out prompts before training: batch 1 of 2 · ETA – · – tokens/s');
    send({ type: 'runPhase', phase: { kind: 'generating', step: 1, done: 0, total: 2 } }, 1000);
    send({ type: 'runPhase', phase: { kind: 'generating', step: 1, done: 1, total: 2 } }, 2000);
    // The step begins with its first phase; generating takes 2 s by its first batch, and judging
    // and updating are not seen yet.
    expect(line()).toBe('Step 0 / 3 · running · step 1: generating, batch 2 of 2 (17 % of the step) · ETA ≥ 5 s · – tokens/s');
    expect(progressView(useRunStore.getState()).value).toBeCloseTo(1 / 6, 9);
    send({ type: 'runPhase', phase: { kind: 'judging', step: 1, done: 0, total: 1 } }, 3000);
    send({ type: 'runPhase', phase: { kind: 'updating', step: 1, done: 0, total: 2 } }, 3000);
    send({ type: 'runPhase', phase: { kind: 'updating', step: 1, done: 1, total: 2 } }, 4000);
    expect(line()).toBe('Step 0 / 3 · running · step 1: updating, micro-batch 2 of 2 (83 % of the step) · ETA 9 s · – tokens/s');
    send({ type: 'step', metrics: { step: 1, tokens_per_second: 120 } as StepMetrics, rollouts: [] }, 5000);
    expect(line()).toBe('Step 1 / 3 · running · ETA 8 s · 120 tokens/s');
    expect(progressView(useRunStore.getState()).value).toBe(1);
    send({ type: 'runPhase', phase: { kind: 'generating', step: 2, done: 1, total: 2 } }, 6000);
    expect(line()).toBe('Step 1 / 3 · running · step 2: generating, batch 2 of 2 (25 % of the step) · ETA 7 s · 120 tokens/s');
    expect(progressView(useRunStore.getState()).value).toBeCloseTo(1.25, 9);
    send({ type: 'runState', state: 'paused', step: 2, maxSteps: 3 }, 7000);
    expect(line()).toBe('Step 2 / 3 · paused · ETA – · 120 tokens/s');
  });

  it('follows the settings when the run is idle', () => {
    // A finished 1-step run shown again (reopened, or its checkpoint loaded): idle at step 1 of 1.
    useRunStore.setState({ state: 'idle', step: 1, maxSteps: 1, config: parseRlConfig({ max_steps: 1 }) });
    expect(line()).toBe('Step 1 / 1 · idle · ETA – · 120 tokens/s');
    useRunStore.getState().setField('max_steps', '200');
    expect(useRunStore.getState().config?.max_steps).toBe(200);
    expect(progressView(useRunStore.getState()).total).toBe(200);
    expect(line()).toMatch(/^Step 1 \/ 200 · idle/);
    // A run in progress keeps its own steps, whatever the form says.
    expect(progressView({ ...useRunStore.getState(), state: 'running', maxSteps: 1 }).total).toBe(1);
    // Settings with a problem: the run's steps.
    expect(progressView({ ...useRunStore.getState(), config: null }).total).toBe(1);
    expect(progressView({ ...useRunStore.getState(), step: 0, config: DEFAULT_RL_CONFIG }).detail).toBe('Not started.');
  });
});
