// The runs kept in this browser (runHistoryStore), newest first: finished, stopped and interrupted
// ones, each reopened into the Charts, Rollouts and Eval panels, its checkpoint loaded as the model,
// or deleted (after a second click, since its checkpoint goes with it).
import { useEffect, useState } from 'react';
import { stepsWithoutLearningSignal } from '../../rl/metrics.ts';
import { runFromCheckpointZip } from '../checkpointRunImport.ts';
import { saveRun, type StoredRun } from '../runPersistence.ts';
import { useModelStore } from '../stores/modelStore.ts';
import { useRunHistoryStore } from '../stores/runHistoryStore.ts';
import { useRunSelectionStore } from '../stores/runSelectionStore.ts';
import { useRunStore } from '../stores/runStore.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(0)}%`);

function statusText(run: StoredRun, live: boolean): string {
  if (live) return run.status === 'paused' ? 'paused (the run in progress)' : 'training now';
  switch (run.status) {
    case 'finished':
      return 'finished';
    case 'stopped':
      return `stopped at step ${run.step}`;
    case 'paused':
      return `paused at step ${run.step}`;
    case 'running':
      return `interrupted during step ${run.step + 1}`;
  }
}

function RunRow({ run, busy, shown, live }: { run: StoredRun; busy: boolean; shown: boolean; live: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const { open, loadCheckpoint, remove } = useRunHistoryStore.getState();
  const started = new Date(run.startedAt).toLocaleString();
  const lastEval = run.evals.at(-1)?.report;
  const withoutSignal = stepsWithoutLearningSignal(run.metrics).length;
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} data-step={run.step} aria-current={shown ? 'true' : undefined}>
      <td>{started}</td>
      <td>{statusText(run, live)}</td>
      <td>
        {run.step} / {run.config.max_steps}
        {withoutSignal > 0 && (
          <span className="muted small" data-testid="run-no-signal" title="steps whose rewards were equal within every prompt's completions, or whose gradient was 0">
            {' '}
            ({withoutSignal} without learning signal)
          </span>
        )}
      </td>
      <td className="text-cell">
        {run.model || '—'} · {run.dataset || '—'}
      </td>
      <td>
        {pct(lastEval?.['refusal_rate/harmful'])} / {pct(lastEval?.['over_refusal_rate/benign'])}
      </td>
      <td>
        <div className="button-row">
          <button type="button" data-testid="run-open" aria-label={`Open the run started ${started}: charts, rollouts and evaluations`} disabled={busy} onClick={() => open(run.id)}>
            Open
          </button>
          <button
            type="button"
            data-testid="run-load-checkpoint"
            // The accessible name starts with the visible words, so voice control finds the button by them.
            aria-label={`Load checkpoint${run.checkpoint ? ` (step ${run.checkpoint.step})` : ''} of the run started ${started}, as the model`}
            disabled={busy || !run.checkpoint}
            title={run.checkpoint ? `its checkpoint at step ${run.checkpoint.step}: export it, evaluate it or continue the run` : 'no checkpoint was kept'}
            onClick={() => void loadCheckpoint(run.id)}
          >
            Load checkpoint{run.checkpoint ? ` (step ${run.checkpoint.step})` : ''}
          </button>
          {confirming ? (
            <>
              <button type="button" data-testid="run-delete-confirm" aria-label={`Delete for good: the run started ${started} and its checkpoint`} onClick={() => void remove(run.id)}>
                Delete for good
              </button>
              <button type="button" data-testid="run-delete-cancel" aria-label="Keep the run" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" data-testid="run-delete" aria-label={`Delete the run started ${started}`} disabled={busy} onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

/** A checkpoint zip's run card kept as a run and shown in the charts beside this tab's run; the model stays as it is. */
function AddCheckpointToCompare() {
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const add = async (file: File) => {
    setMessage(null);
    try {
      const run = runFromCheckpointZip(new Uint8Array(await file.arrayBuffer()), file.name);
      await saveRun(run);
      await useRunHistoryStore.getState().refresh();
      useRunSelectionStore.getState().setShown(run.id, true);
      setMessage({ error: false, text: `Added ${file.name} (${run.metrics.length} steps, ${run.evals.length} evaluations), shown in the charts and the Eval panel.` });
    } catch (error) {
      setMessage({ error: true, text: (error as Error).message });
    }
  };
  return (
    <>
      <label className="button-like">
        Add a checkpoint to compare (.zip)…
        <input
          type="file"
          accept=".zip,application/zip"
          className="visually-hidden"
          data-testid="compare-checkpoint"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void add(file);
            e.currentTarget.value = '';
          }}
        />
      </label>
      {message && (
        <p className={message.error ? 'error' : 'muted small'} role={message.error ? 'alert' : 'status'} data-testid="compare-checkpoint-message">
          {message.error ? `Cannot add: ${message.text}` : message.text}
        </p>
      )}
    </>
  );
}

export function RunsPanel() {
  const runs = useRunHistoryStore((s) => s.runs);
  const error = useRunHistoryStore((s) => s.error);
  const pendingWrites = useRunHistoryStore((s) => s.pendingWrites);
  const runState = useRunStore((s) => s.state);
  const runId = useRunStore((s) => s.runId);
  const loading = useModelStore((s) => s.status === 'loading');
  const active = runState === 'running' || runState === 'paused' || runState === 'starting';

  useEffect(() => {
    void useRunHistoryStore.getState().refresh();
  }, []);

  return (
    <section className="panel" aria-labelledby="runs-heading" data-testid="runs-panel" data-pending-writes={pendingWrites}>
      <h2 id="runs-heading">Runs kept in this browser</h2>
      {/* Announced once, by the Training panel's copy. */}
      {error && <p className="field-error">{error}</p>}
      <AddCheckpointToCompare />
      {runs.length === 0 ? (
        <p className="muted" data-testid="runs-empty">
          No run yet. Every run is kept here, step by step, until you delete it.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="runs-table" data-count={runs.length}>
            <caption className="muted small">Open shows a run in the Charts, Rollouts and Eval panels and puts its settings in the Training form.</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Steps</th>
                <th scope="col">Model · data</th>
                <th scope="col">Held-out refusal / over-refusal</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <RunRow key={run.id} run={run} shown={run.id === runId} live={run.id === runId && active} busy={active || loading} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
