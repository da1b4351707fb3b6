// The runs kept in this browser (runPersistence.ts): the record of the run in the worker, written
// after every step and checkpoint; the list of stored runs for the Runs panel (open, delete); and,
// when the page opens, the run it lost to a reload or a closed tab, restored with its settings and
// metrics and resumed from its checkpoint.
import { create } from 'zustand';
import type { RlConfig } from '../../rl/config.ts';
import type { WorkerEvent } from '../../worker/protocol.ts';
import {
  deleteRun,
  interruptedRun,
  restorePlan,
  saveRun,
  saveRunCheckpoint,
  storedBaseFiles,
  storedCheckpoint,
  storedRuns,
  type RestorePlan,
  type StoredRun,
} from '../runPersistence.ts';
import { useDatasetStore } from './datasetStore.ts';
import { useEvalStore } from './evalStore.ts';
import { useMetricsStore } from './metricsStore.ts';
import { useModelStore } from './modelStore.ts';
import { useRolloutsStore } from './rolloutsStore.ts';
import { useRunStore } from './runStore.ts';

export interface RestoredRun {
  run: StoredRun;
  plan: RestorePlan;
}

interface RunHistoryStore {
  /** Every stored run, newest first. */
  runs: StoredRun[];
  /** The interrupted run found when the page opened, until dismissed. */
  restored: RestoredRun | null;
  /** The step of the current run's last checkpoint kept in this browser; null before one. */
  checkpointStep: number | null;
  /** Writes of the current run still on their way to storage (0: a reload now loses nothing saved). */
  pendingWrites: number;
  /** A problem reading or writing the stored runs. */
  error: string | null;
  refresh(): Promise<void>;
  /** Find the run the page lost, show it and, where it can, resume it. Once per page. */
  restoreInterrupted(): Promise<void>;
  /** Resume the restored run from its checkpoint (once its checkpoint is the loaded model). */
  resumeRestored(): void;
  /** Start the restored run again from step 0 with its settings (it had no checkpoint). */
  restartRestored(): void;
  /** Keep the restored run in the list as stopped, and stop offering it. */
  dismissRestored(): Promise<void>;
  /** Show a stored run's charts, rollouts and evaluations, and put its settings in the form. */
  open(id: string): void;
  /** Load a stored run's checkpoint as the model (to export it, evaluate it or continue it). */
  loadCheckpoint(id: string): Promise<void>;
  remove(id: string): Promise<void>;
}

/** The record of the run in the worker; null before the first start. */
let current: StoredRun | null = null;
/** A stored run's checkpoint asked of the worker: its loaded event hands the run back. */
let pendingLoad: { run: StoredRun; fileName: string; startAfter: boolean } | null = null;
let restoreStarted: Promise<void> | null = null;
/** The run whose record keepStartingRun made, until the worker starts it (or refuses to). */
let unconfirmed: string | null = null;

function showRun(run: StoredRun, info: string | null): void {
  useRunStore.getState().adoptConfig(run.config);
  useMetricsStore.getState().reset(run.metrics);
  useEvalStore.getState().reset(run.evals);
  useRolloutsStore.setState({ rollouts: run.rollouts });
  useRunStore.setState({ runId: run.id, state: 'idle', step: run.step, maxSteps: run.config.max_steps, firstStep: 0, speed: null, info, error: null });
}

const when = (iso: string) => (iso ? new Date(iso).toLocaleString() : 'at an unknown time');

export const useRunHistoryStore = create<RunHistoryStore>((set, get) => {
  const failed = (error: unknown) => set({ error: `The runs kept in this browser could not be read or written: ${(error as Error).message}. Reload the page; if it persists, allow this site storage in the browser's settings.` });
  const persist = (write: Promise<void>, refresh = false) =>
    void write.then(() => (refresh ? get().refresh() : undefined)).catch(failed);

  async function loadStored(run: StoredRun, startAfter: boolean): Promise<boolean> {
    const checkpoint = await storedCheckpoint(run.id);
    if (!checkpoint) return false;
    pendingLoad = { run, fileName: checkpoint.fileName, startAfter };
    // A LoRA autosave is the adapter alone: its base comes from the bases kept, or, gone, the worker says what to load.
    const base = checkpoint.base && { ...checkpoint.base, files: await storedBaseFiles(checkpoint.base.sha256) };
    await useModelStore.getState().importCheckpoint(new Blob([checkpoint.bytes]), checkpoint.fileName, base ?? undefined);
    return true;
  }

  return {
    runs: [],
    restored: null,
    checkpointStep: null,
    pendingWrites: 0,
    error: null,
    async refresh() {
      try {
        set({ runs: await storedRuns() });
      } catch (error) {
        failed(error);
      }
    },
    restoreInterrupted() {
      return (restoreStarted ??= (async () => {
        await get().refresh();
        const run = interruptedRun(get().runs);
        if (!run) return;
        // The form must not be refilled by the demo settings after it shows the run's.
        await useRunStore.getState().init();
        let plan = restorePlan(run);
        showRun(run, null);
        current = run;
        set({ restored: { run, plan }, checkpointStep: run.checkpoint?.step ?? null });
        if (plan.kind === 'resume') {
          if (plan.automatic) {
            current = { ...run, autoResumedFrom: plan.fromStep };
            persist(saveRun(current));
          }
          const loadedStored = await loadStored(run, plan.automatic).catch((error: unknown) => {
            failed(error);
            return false;
          });
          if (!loadedStored) {
            plan = { kind: 'restart' };
            set({ restored: { run, plan } });
          }
        }
      })());
    },
    resumeRestored() {
      const restored = get().restored;
      if (restored?.plan.kind === 'resume') void useRunStore.getState().start(true, restored.run.id);
    },
    restartRestored() {
      const restored = get().restored;
      if (restored) void useRunStore.getState().start(false, restored.run.id);
    },
    async dismissRestored() {
      const restored = get().restored;
      if (!restored) return;
      set({ restored: null });
      const run = { ...restored.run, status: 'stopped' as const };
      if (current?.id === run.id) current = run;
      persist(saveRun(run), true);
    },
    open(id) {
      const run = get().runs.find((r) => r.id === id);
      if (!run) return;
      current = null;
      showRun(run, `Showing the run started ${when(run.startedAt)}: ${run.status} at step ${run.step} of ${run.config.max_steps}. Start training begins a new run with these settings.`);
      set({ checkpointStep: run.checkpoint?.step ?? null });
    },
    async loadCheckpoint(id) {
      const run = get().runs.find((r) => r.id === id);
      if (!run) return;
      try {
        if (!(await loadStored(run, false))) set({ error: 'That run has no checkpoint kept in this browser.' });
      } catch (error) {
        failed(error);
      }
    },
    async remove(id) {
      if (current?.id === id) current = null;
      if (get().restored?.run.id === id) set({ restored: null });
      if (useRunStore.getState().runId === id) useRunStore.setState({ runId: null });
      try {
        await deleteRun(id);
      } catch (error) {
        failed(error);
      }
      await get().refresh();
    },
  };
});

function reportWriteError(error: unknown): void {
  useRunHistoryStore.setState({ error: `The run could not be saved in this browser: ${(error as Error).message}. Export the checkpoint to keep it, or delete old runs in the Runs panel.` });
}

/** A write of the current run, counted in pendingWrites until it lands or fails. */
function tracked(write: Promise<void>): Promise<void> {
  const count = (delta: number) => useRunHistoryStore.setState((s) => ({ pendingWrites: s.pendingWrites + delta }));
  count(1);
  return write.finally(() => count(-1));
}

/** The run in the worker's record now: kept, shown as it is in the runs list, and written. */
function keep(run: StoredRun): Promise<void> {
  current = run;
  const { runs } = useRunHistoryStore.getState();
  if (runs.some((r) => r.id === run.id)) useRunHistoryStore.setState({ runs: runs.map((r) => (r.id === run.id ? run : r)) });
  return tracked(saveRun(run));
}

/**
 * Keeps the record of a run the page is about to start, before the worker hears of it (runStore's
 * keepStartingRun): a reload while the worker builds the run finds it and offers to start it
 * again. A stored run started again already has its record. Never fails: a failed write is shown.
 */
export async function keepStartingRun(runId: string, config: RlConfig, resume: boolean): Promise<void> {
  if (current?.id === runId) return;
  unconfirmed = runId;
  const now = new Date().toISOString();
  const run: StoredRun = {
    version: 2,
    id: runId,
    startedAt: now,
    updatedAt: now,
    model: useModelStore.getState().summary?.label ?? '',
    dataset: useDatasetStore.getState().name,
    config,
    status: 'running',
    step: resume ? useRunStore.getState().step : 0,
    // A run continuing a loaded checkpoint carries that run's history on.
    metrics: resume ? useMetricsStore.getState().history : [],
    evals: resume ? useEvalStore.getState().points : [],
    rollouts: [],
    checkpoint: null,
    autoResumedFrom: null,
  };
  // A new run joins the list.
  await keep(run)
    .then(() => useRunHistoryStore.getState().refresh())
    .catch(reportWriteError);
}

/** Keeps the record of the run in the worker; wire.ts calls it after the stores took the event. */
export function recordWorkerEvent(e: WorkerEvent): void {
  const history = useRunHistoryStore;
  switch (e.type) {
    case 'loaded': {
      const pending = pendingLoad;
      if (!pending || pending.fileName !== e.model.label) {
        // Another model (the demo, loaded as the page opened): a run resumed from it is a run of its own.
        useRunStore.setState({ runId: null });
        return;
      }
      pendingLoad = null;
      // The checkpoint's record holds the metrics up to its step; the stored run has the later ones too.
      const { run } = pending;
      useMetricsStore.getState().reset(run.metrics);
      useEvalStore.getState().reset(run.evals);
      useRolloutsStore.setState({ rollouts: run.rollouts });
      useRunStore.setState({ runId: run.id, info: null });
      if (pending.startAfter) void useRunStore.getState().start(true, run.id);
      return;
    }
    case 'error': {
      if (unconfirmed && (e.area === 'train' || e.area === 'gpu' || e.area === 'protocol')) {
        // The worker did not start the run: its record was never a run, and is not offered after a reload.
        const id = unconfirmed;
        unconfirmed = null;
        if (current?.id === id) current = null;
        void tracked(deleteRun(id))
          .then(() => history.getState().refresh())
          .catch(reportWriteError);
      }
      // The stored checkpoint did not load: the run is still shown, and offered to start again.
      if (!pendingLoad || (e.area !== 'load' && e.area !== 'gpu')) return;
      const { run } = pendingLoad;
      pendingLoad = null;
      const restored = history.getState().restored;
      if (restored?.run.id === run.id) history.setState({ restored: { run, plan: { kind: 'restart' } } });
      history.setState({ error: `The checkpoint of the run started ${when(run.startedAt)} could not be loaded: ${e.message}. It can start again with the same settings, or be kept as stopped.` });
      return;
    }
    case 'runStarted': {
      const runId = useRunStore.getState().runId;
      if (!runId) return;
      unconfirmed = null;
      // A new run instead of the interrupted one: that one is kept as stopped, not offered again.
      const restored = history.getState().restored;
      if (restored && restored.run.id !== runId) void history.getState().dismissRestored();
      // keepStartingRun made the record (or it is a stored run started again).
      if (current?.id !== runId) return;
      const restart = e.firstStep === 0;
      const run: StoredRun = { ...current, config: e.config, status: 'running', step: e.firstStep, ...(restart ? { metrics: [], evals: [], rollouts: [], checkpoint: null } : {}) };
      history.setState({ checkpointStep: restart ? null : (run.checkpoint?.step ?? null) });
      void keep(run).catch(reportWriteError);
      return;
    }
    case 'step':
      if (!current) return;
      void keep({ ...current, step: e.metrics.step, metrics: useMetricsStore.getState().history, rollouts: useRolloutsStore.getState().rollouts }).catch(reportWriteError);
      return;
    case 'eval':
      if (!current) return;
      void keep({ ...current, evals: useEvalStore.getState().points }).catch(reportWriteError);
      return;
    case 'runState': {
      if (!current || (current.status === e.state && current.step === e.step)) return;
      const ended = e.state === 'finished' || e.state === 'stopped';
      if (ended && history.getState().restored?.run.id === current.id) history.setState({ restored: null });
      void keep({ ...current, status: e.state, step: e.step }).catch(reportWriteError);
      return;
    }
    case 'checkpoint': {
      if (e.reason !== 'autosave' || !current) return;
      const run = { ...current, checkpoint: { step: e.step, fileName: e.fileName, savedAt: new Date().toISOString() } };
      current = run;
      const base = e.base && { sha256: e.base.sha256, label: e.base.label };
      tracked(saveRunCheckpoint(run, { version: 2, bytes: e.bytes, fileName: e.fileName, step: e.step, base }, e.base?.files ?? null))
        // The list takes the record as it is by now: later steps may have been kept meanwhile.
        .then(() => history.setState({ checkpointStep: e.step, runs: history.getState().runs.map((r) => (r.id === run.id && current?.id === run.id ? current : r)) }))
        .catch((error: unknown) =>
          useRunStore.setState({ error: { message: `the run could not be saved in the browser: ${(error as Error).message}`, recovery: 'Export the checkpoint to keep it, or delete old runs in the Runs panel.' } }),
        );
      return;
    }
    default:
      return;
  }
}
