// What survives a reload of a run, in the lab's IndexedDB (src/data/storage.ts): the last
// checkpoint of the current run (store "checkpoints", key LAST_RUN_KEY), so a run interrupted by a
// reload resumes from it, and every finished run's config, metrics and evaluations (store "runs").
import { labStorage } from '../data/storage.ts';
import type { RlConfig } from '../rl/config.ts';
import type { StepMetrics } from '../rl/metrics.ts';
import type { EvalPoint } from '../worker/protocol.ts';

export const LAST_RUN_KEY = 'last-run';

export interface SavedCheckpoint {
  version: 1;
  bytes: ArrayBuffer;
  fileName: string;
  step: number;
  maxSteps: number;
  /** A finished run's checkpoint is kept for export, but not offered for resuming. */
  finished: boolean;
  savedAt: string;
}

export interface FinishedRun {
  version: 1;
  id: string;
  finishedAt: string;
  model: string;
  dataset: string;
  config: RlConfig;
  metrics: StepMetrics[];
  evals: EvalPoint[];
}

export async function saveLastCheckpoint(checkpoint: SavedCheckpoint): Promise<void> {
  await labStorage().store<SavedCheckpoint>('checkpoints').put(LAST_RUN_KEY, checkpoint);
}

export async function lastCheckpoint(): Promise<SavedCheckpoint | null> {
  const value = await labStorage().store<SavedCheckpoint>('checkpoints').get(LAST_RUN_KEY);
  return value && value.version === 1 && value.bytes instanceof ArrayBuffer ? value : null;
}

export async function forgetLastCheckpoint(): Promise<void> {
  await labStorage().store<SavedCheckpoint>('checkpoints').delete(LAST_RUN_KEY);
}

export async function saveFinishedRun(run: FinishedRun): Promise<void> {
  await labStorage().store<FinishedRun>('runs').put(run.id, run);
}

export async function finishedRuns(): Promise<FinishedRun[]> {
  return (await labStorage().store<FinishedRun>('runs').getAll()).filter((r) => r.version === 1);
}
