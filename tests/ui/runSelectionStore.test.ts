// Which runs the charts overlay, their colours and names (runSelectionStore), and the list of runs
// the panels offer (comparedRuns): outside the browser, with a Storage kept in memory standing in
// for the page's localStorage so a "reload" (the module read afresh) can be checked.
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RL_CONFIG } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { comparedRuns, defaultRunName } from '../../src/ui/comparedRuns.ts';
import type { StoredRun } from '../../src/ui/runPersistence.ts';
import { isShown, LIVE_RUN_ID, RUN_PALETTE, RUN_SELECTION_KEY, withColors } from '../../src/ui/stores/runSelectionStore.ts';

class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const storage = new MemoryStorage();
vi.stubGlobal('localStorage', storage);
afterAll(() => vi.unstubAllGlobals());

/** The store as a page that opens now finds it. */
async function openStore() {
  vi.resetModules();
  return (await import('../../src/ui/stores/runSelectionStore.ts')).useRunSelectionStore;
}

const metrics = (step: number) => ({ step, 'refusal_rate/harmful': step / 10 }) as unknown as StepMetrics;

function stored(id: string, patch: Partial<StoredRun> = {}): StoredRun {
  return {
    version: 2,
    id,
    startedAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    model: 'demo model',
    dataset: 'demo.jsonl',
    config: DEFAULT_RL_CONFIG,
    status: 'finished',
    step: 2,
    metrics: [metrics(1), metrics(2)],
    evals: [],
    rollouts: [],
    checkpoint: null,
    autoResumedFrom: null,
    ...patch,
  };
}

describe('the run selection', () => {
  beforeEach(() => storage.setItem(RUN_SELECTION_KEY, 'null'));

  it('shows the live run and hides the others until clicked; a click is kept either way', async () => {
    const store = await openStore();
    const live = 'run-b';
    expect(isShown(store.getState(), live, live)).toBe(true);
    expect(isShown(store.getState(), 'run-a', live)).toBe(false);
    store.getState().setShown('run-a', true);
    store.getState().setShown(live, false);
    expect(isShown(store.getState(), 'run-a', live)).toBe(true);
    expect(isShown(store.getState(), live, live)).toBe(false);
    // Another run becomes the live one: the clicks still hold, a run never clicked follows the default.
    expect(isShown(store.getState(), 'run-c', 'run-c')).toBe(true);
    expect(isShown(store.getState(), live, 'run-c')).toBe(false);
  });

  it('gives each run a colour once and keeps it as runs come and go; a new run gets the least used', async () => {
    const store = await openStore();
    store.getState().assignColors(['a', 'b']);
    const { a, b } = store.getState().colors;
    expect([a, b]).toEqual([RUN_PALETTE[0], RUN_PALETTE[1]]);
    // a is deleted, c and d arrive: b keeps its colour, c takes the first free one (a's), d the next.
    store.getState().assignColors(['b', 'c', 'd']);
    expect(store.getState().colors).toMatchObject({ b: RUN_PALETTE[1], c: RUN_PALETTE[0], d: RUN_PALETTE[2] });
    // Shown or hidden, a run's colour does not move.
    store.getState().setShown('d', false);
    store.getState().assignColors(['d', 'c', 'b']);
    expect(store.getState().colors).toMatchObject({ b: RUN_PALETTE[1], c: RUN_PALETTE[0], d: RUN_PALETTE[2] });
    // Past the palette, the least used colour is shared.
    const many = Array.from({ length: RUN_PALETTE.length + 2 }, (_, i) => `run-${i}`);
    const colors = withColors(many, {});
    expect(new Set(many.slice(0, RUN_PALETTE.length).map((id) => colors[id])).size).toBe(RUN_PALETTE.length);
    expect([colors['run-10'], colors['run-11']]).toEqual([RUN_PALETTE[0], RUN_PALETTE[1]]);
  });

  it('keeps the names given, and an emptied name goes back to the default', async () => {
    const store = await openStore();
    store.getState().rename('run-a', 'SFT baseline');
    store.getState().rename('run-b', 'AlphaAlign');
    store.getState().rename('run-b', '  ');
    expect(store.getState().names).toEqual({ 'run-a': 'SFT baseline' });
  });

  it('finds the selection, colours and names again after a reload', async () => {
    const before = await openStore();
    before.getState().rename('run-a', 'SFT baseline');
    before.getState().setShown('run-a', true);
    before.getState().assignColors(['run-b', 'run-a']);
    const after = (await openStore()).getState();
    expect(after).toMatchObject({ names: { 'run-a': 'SFT baseline' }, shown: { 'run-a': true }, colors: { 'run-b': RUN_PALETTE[0], 'run-a': RUN_PALETTE[1] } });
  });

  it('starts afresh from a value it cannot read', async () => {
    storage.setItem(RUN_SELECTION_KEY, '{"names": {"run-a": 3}, "shown": "yes"');
    expect((await openStore()).getState()).toMatchObject({ names: {}, colors: {}, shown: {} });
    storage.setItem(RUN_SELECTION_KEY, '{"names": {"run-a": 3, "run-b": "kept"}, "shown": "yes"}');
    expect((await openStore()).getState()).toMatchObject({ names: { 'run-b': 'kept' }, colors: {}, shown: {} });
  });
});

describe('the runs the panels offer', () => {
  const selection = { names: { 'run-old': 'SFT baseline' }, colors: {}, shown: { 'run-old': true } };

  it("lists this tab's run first, then the kept runs, its own record not twice", () => {
    const live = { id: 'run-new', metrics: [metrics(1)], evals: [] };
    const runs = comparedRuns(live, [stored('run-new', { model: 'mine', metrics: [] }), stored('run-old'), stored('run-hidden')], selection);
    expect(runs.map((r) => [r.id, r.live, r.shown])).toEqual([
      ['run-new', true, true],
      ['run-old', false, true],
      ['run-hidden', false, false],
    ]);
    // The live run's metrics are the stores' (the record lags a step behind).
    expect(runs[0]!.metrics).toBe(live.metrics);
    expect(runs[0]!).toMatchObject({ name: defaultRunName(stored('run-new', { model: 'mine' })), givenName: null, step: 1 });
    expect(runs[1]!).toMatchObject({ name: 'SFT baseline', givenName: 'SFT baseline', defaultName: defaultRunName(stored('run-old')) });
    // Colours before assignColors kept them are the ones it will keep.
    expect(runs.map((r) => r.color)).toEqual([RUN_PALETTE[0], RUN_PALETTE[1], RUN_PALETTE[2]]);
  });

  it("names a run by where it came from and when; this tab's run without an id by its checkpoint, or itself", () => {
    expect(defaultRunName(stored('x', { model: 'TRL run (trainer_state.json)', dataset: '' }))).toMatch(/^TRL run \(trainer_state\.json\) · .*\d/);
    expect(defaultRunName(stored('x', { startedAt: '' }))).toBe('demo model · demo.jsonl');
    const [live] = comparedRuns({ id: null, metrics: [], evals: [] }, [], { names: {}, colors: {}, shown: {} });
    expect(live).toMatchObject({ id: LIVE_RUN_ID, name: "this tab's run", shown: true, step: 0 });
    const [loaded] = comparedRuns({ id: null, checkpoint: 'alphaalign-step100.zip', metrics: [metrics(100)], evals: [] }, [], { names: {}, colors: {}, shown: {} });
    expect(loaded).toMatchObject({ id: LIVE_RUN_ID, name: 'checkpoint (alphaalign-step100.zip)', step: 100 });
  });
});
