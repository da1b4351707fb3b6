// What survives a reload or a closed browser, in the lab's IndexedDB (src/data/storage.ts): every
// run's record (store "runs", key = run id), rewritten after each step, and its last checkpoint
// (store "checkpoints", same key), written only when the worker makes one. The record is small
// (settings, metrics, evaluations, the latest rollouts); the checkpoint holds the weights and the
// optimiser state; a LoRA run's holds the adapter and its moments alone, its frozen base kept once
// (store "bases", key = the base's content hash) however many autosaves and runs lean on it, and
// deleted with the last checkpoint that does. A record whose status is still "running" or "paused" when the page opens
// belongs to a run the page lost (a reload, a closed tab): it resumes from its checkpoint.
import { labStorage } from '../data/storage.ts';
import { parseRlConfig, type RlConfig } from '../rl/config.ts';
import type { StepMetrics } from '../rl/metrics.ts';
import type { EvalPoint, FrozenBase, RolloutView, RunState } from '../worker/protocol.ts';

export interface StoredCheckpointRef {
  step: number;
  fileName: string;
  savedAt: string;
}

export interface StoredRun {
  version: 2;
  id: string;
  startedAt: string;
  updatedAt: string;
  /** The model the run started from (its label in the Model panel). */
  model: string;
  dataset: string;
  config: RlConfig;
  /** The last state the page saw; "running" or "paused" on a page that opens means interrupted. */
  status: RunState;
  /** The last step that finished. */
  step: number;
  metrics: StepMetrics[];
  evals: EvalPoint[];
  /** The Rollouts panel's rows when the record was written (the latest steps). */
  rollouts: RolloutView[];
  /** The checkpoint kept under the same key; null before the first one. */
  checkpoint: StoredCheckpointRef | null;
  /**
   * The checkpoint step the page last resumed this run from on its own after an interruption.
   * Interrupted again before a newer checkpoint (say the step crashes the tab), it is not resumed
   * on its own a second time, so a crash cannot loop.
   */
  autoResumedFrom: number | null;
}

export interface StoredCheckpoint {
  version: 2;
  bytes: ArrayBuffer;
  fileName: string;
  step: number;
  /** A LoRA run's: the frozen base its adapter goes on, kept in the store "bases"; null when the bytes hold the whole model. */
  base: FrozenBase | null;
}

/** A LoRA run's frozen base: a zip of its model folder (frozenBaseFiles), under its content hash. */
interface StoredBase {
  version: 1;
  label: string;
  files: ArrayBuffer;
}

const runsStore = () => labStorage().store<unknown>('runs');
const checkpointsStore = () => labStorage().store<unknown>('checkpoints');
const basesStore = () => labStorage().store<unknown>('bases');

export function newRunId(now = new Date()): string {
  return `run-${now.toISOString()}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A stored record read back; null if it is not one. Version 1 records (finished runs only, written
 * before the runs were listed) come back as finished runs without checkpoint or rollouts.
 */
export function reviveStoredRun(value: unknown): StoredRun | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  let config: RlConfig;
  try {
    config = parseRlConfig(v.config);
  } catch {
    return null;
  }
  const metrics = Array.isArray(v.metrics) ? (v.metrics as StepMetrics[]) : [];
  const evals = Array.isArray(v.evals) ? (v.evals as EvalPoint[]) : [];
  const text = (x: unknown) => (typeof x === 'string' ? x : '');
  if (v.version === 1 && typeof v.id === 'string') {
    return {
      version: 2,
      id: v.id,
      startedAt: text(v.finishedAt),
      updatedAt: text(v.finishedAt),
      model: text(v.model),
      dataset: text(v.dataset),
      config,
      status: 'finished',
      step: metrics.at(-1)?.step ?? 0,
      metrics,
      evals,
      rollouts: [],
      checkpoint: null,
      autoResumedFrom: null,
    };
  }
  if (v.version !== 2 || typeof v.id !== 'string' || typeof v.step !== 'number') return null;
  const status = (['running', 'paused', 'stopped', 'finished'] as const).find((s) => s === v.status);
  if (!status) return null;
  const c = v.checkpoint as Record<string, unknown> | null;
  const checkpoint = c && typeof c.step === 'number' && typeof c.fileName === 'string' ? { step: c.step, fileName: c.fileName, savedAt: text(c.savedAt) } : null;
  return {
    version: 2,
    id: v.id,
    startedAt: text(v.startedAt),
    updatedAt: text(v.updatedAt),
    model: text(v.model),
    dataset: text(v.dataset),
    config,
    status,
    step: v.step,
    metrics,
    evals,
    rollouts: Array.isArray(v.rollouts) ? (v.rollouts as RolloutView[]) : [],
    checkpoint,
    autoResumedFrom: typeof v.autoResumedFrom === 'number' ? v.autoResumedFrom : null,
  };
}

// Writes go one after another, so a step's record never lands after the next step's, and a
// record naming a checkpoint never lands before the checkpoint's bytes.
let writes: Promise<void> = Promise.resolve();

function queued(write: () => Promise<void>): Promise<void> {
  const next = writes.then(write);
  writes = next.catch(() => undefined);
  return next;
}

export function saveRun(run: StoredRun): Promise<void> {
  const copy = { ...run, updatedAt: new Date().toISOString() };
  return queued(() => runsStore().put(run.id, copy));
}

/**
 * Keeps a run's checkpoint (replacing the one before), then the record that names it. `baseFiles`:
 * the frozen base the checkpoint names, when the worker sent it (once per run); kept unless it is already.
 */
export function saveRunCheckpoint(run: StoredRun, checkpoint: StoredCheckpoint, baseFiles: ArrayBuffer | null = null): Promise<void> {
  return queued(async () => {
    if (checkpoint.base && baseFiles && !(await basesStore().get(checkpoint.base.sha256))) {
      const base: StoredBase = { version: 1, label: checkpoint.base.label, files: baseFiles };
      await basesStore().put(checkpoint.base.sha256, base);
    }
    await checkpointsStore().put(run.id, checkpoint);
    await runsStore().put(run.id, { ...run, updatedAt: new Date().toISOString() });
  });
}

/** Every stored run, newest first. */
export async function storedRuns(): Promise<StoredRun[]> {
  await writes;
  const runs = (await runsStore().getAll()).map(reviveStoredRun).filter((r): r is StoredRun => r !== null);
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export async function storedCheckpoint(id: string): Promise<StoredCheckpoint | null> {
  await writes;
  const value = (await checkpointsStore().get(id)) as Partial<StoredCheckpoint> | undefined;
  if (!value || value.version !== 2 || !(value.bytes instanceof ArrayBuffer) || typeof value.fileName !== 'string' || typeof value.step !== 'number') return null;
  // Checkpoints kept before LoRA autosaves left their base out hold the whole model.
  const base = value.base && typeof value.base.sha256 === 'string' ? { sha256: value.base.sha256, label: String(value.base.label ?? '') } : null;
  return { version: 2, bytes: value.bytes, fileName: value.fileName, step: value.step, base };
}

/** The files of a frozen base kept under its content hash (a zip); null when it is no longer kept. */
export async function storedBaseFiles(sha256: string): Promise<ArrayBuffer | null> {
  await writes;
  const value = (await basesStore().get(sha256)) as Partial<StoredBase> | undefined;
  return value?.version === 1 && value.files instanceof ArrayBuffer ? value.files : null;
}

export function deleteRun(id: string): Promise<void> {
  return queued(async () => {
    await checkpointsStore().delete(id);
    await runsStore().delete(id);
    // A base no checkpoint leans on any more goes with the last one that did.
    const named = new Set(((await checkpointsStore().getAll()) as Partial<StoredCheckpoint>[]).map((c) => c.base?.sha256));
    for (const sha256 of await basesStore().keys()) if (!named.has(sha256)) await basesStore().delete(sha256);
  });
}

/** A run the page lost while it trained or stood paused: the newest record still in either state. */
export function interruptedRun(runs: readonly StoredRun[]): StoredRun | null {
  return runs.find((r) => r.status === 'running' || r.status === 'paused') ?? null;
}

/**
 * What the page does with an interrupted run when it opens: resume it from its checkpoint (on its
 * own when it was training and has not just been resumed from that same checkpoint; otherwise at
 * the user's click), or, with no checkpoint yet, show it and offer to start it again with the same
 * settings (the same seed gives the same run, so only time is lost).
 */
export type RestorePlan = { kind: 'resume'; fromStep: number; automatic: boolean } | { kind: 'restart' };

export function restorePlan(run: StoredRun): RestorePlan {
  if (!run.checkpoint) return { kind: 'restart' };
  const automatic = run.status === 'running' && run.autoResumedFrom !== run.checkpoint.step;
  return { kind: 'resume', fromStep: run.checkpoint.step, automatic };
}
