// The runs the Charts and Eval panels can overlay: this tab's run (the stores the worker's events
// fill: a run training now, a run opened from the Runs panel, a loaded checkpoint's record, named
// after the checkpoint) and
// every run kept in this browser (runHistoryStore: the lab's runs, imported TRL and veRL logs,
// checkpoints added to compare), each with its name, colour and whether it is shown
// (runSelectionStore).
import { useEffect, useMemo } from 'react';
import type { StepMetrics } from '../rl/metrics.ts';
import type { EvalPoint } from '../worker/protocol.ts';
import type { StoredRun } from './runPersistence.ts';
import { useEvalStore } from './stores/evalStore.ts';
import { useMetricsStore } from './stores/metricsStore.ts';
import { useModelStore } from './stores/modelStore.ts';
import { useRunHistoryStore } from './stores/runHistoryStore.ts';
import { isShown, LIVE_RUN_ID, useRunSelectionStore, withColors } from './stores/runSelectionStore.ts';
import { useRunStore } from './stores/runStore.ts';

export interface ComparedRun {
  id: string;
  /** The user's name for it, or its default name. */
  name: string;
  defaultName: string;
  /** The name the user gave it; null if none. */
  givenName: string | null;
  color: string;
  shown: boolean;
  /** This tab's run (its metrics the stores', which move while it trains). */
  live: boolean;
  /** The last step it reached, and of how many. */
  step: number;
  metrics: readonly StepMetrics[];
  evals: readonly EvalPoint[];
}

export interface LiveRun {
  /** The run id this tab's run is stored under, or null (a loaded checkpoint's record, a fresh page). */
  id: string | null;
  /** The loaded checkpoint whose record the stores show, when that is this tab's run (no id). */
  checkpoint?: string | null;
  metrics: readonly StepMetrics[];
  evals: readonly EvalPoint[];
}

/** What a run is called until the user names it: where it came from, and when it started. */
export function defaultRunName(run: Pick<StoredRun, 'model' | 'dataset' | 'startedAt'>): string {
  const started = run.startedAt ? new Date(run.startedAt) : null;
  const when = started && !Number.isNaN(started.getTime()) ? started.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';
  return [run.model || 'run', run.dataset, when].filter((part) => part !== '').join(' · ');
}

/** This tab's run first, then the stored runs (newest first; the live one's record not twice). */
export function comparedRuns(
  live: LiveRun,
  stored: readonly StoredRun[],
  selection: { names: Readonly<Record<string, string>>; colors: Readonly<Record<string, string>>; shown: Readonly<Record<string, boolean>> },
): ComparedRun[] {
  const liveId = live.id ?? LIVE_RUN_ID;
  const liveRecord = stored.find((r) => r.id === liveId);
  const others = stored.filter((r) => r.id !== liveId);
  // Colours not yet kept are the ones assignColors will keep, so the first render already has them.
  const colors = withColors([liveId, ...others.map((r) => r.id)], selection.colors);
  const entry = (id: string, defaultName: string, step: number, metrics: readonly StepMetrics[], evals: readonly EvalPoint[], isLive: boolean): ComparedRun => ({
    id,
    name: selection.names[id] ?? defaultName,
    defaultName,
    givenName: selection.names[id] ?? null,
    color: colors[id]!,
    shown: isShown(selection, id, liveId),
    live: isLive,
    step,
    metrics,
    evals,
  });
  return [
    entry(liveId, liveRecord ? defaultRunName(liveRecord) : live.checkpoint ? `checkpoint (${live.checkpoint})` : "this tab's run", live.metrics.at(-1)?.step ?? 0, live.metrics, live.evals, true),
    ...others.map((r) => entry(r.id, defaultRunName(r), r.step, r.metrics, r.evals, false)),
  ];
}

/** Every run the panels can overlay, shown or not; colours given to new runs are kept. */
export function useComparedRuns(): ComparedRun[] {
  const id = useRunStore((s) => s.runId);
  const checkpoint = useModelStore((s) => (s.summary?.run ? s.summary.label : null));
  const metrics = useMetricsStore((s) => s.history);
  const evals = useEvalStore((s) => s.points);
  const stored = useRunHistoryStore((s) => s.runs);
  const names = useRunSelectionStore((s) => s.names);
  const colors = useRunSelectionStore((s) => s.colors);
  const shown = useRunSelectionStore((s) => s.shown);
  const runs = useMemo(() => comparedRuns({ id, checkpoint, metrics, evals }, stored, { names, colors, shown }), [id, checkpoint, metrics, evals, stored, names, colors, shown]);
  const ids = runs.map((r) => r.id).join('\n');
  useEffect(() => useRunSelectionStore.getState().assignColors(ids.split('\n')), [ids]);
  return runs;
}
