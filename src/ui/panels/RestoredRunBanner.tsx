// The run the page lost to a reload or a closed tab, found again when it opens (runHistoryStore):
// what is resumed and from which step, which steps are run again, or, with no checkpoint yet, an
// offer to start it again with the same settings.
import { useModelStore } from '../stores/modelStore.ts';
import { useRunHistoryStore } from '../stores/runHistoryStore.ts';
import { useRunStore } from '../stores/runStore.ts';

/** What resuming from the checkpoint at step `from` does to the steps that had finished, up to `upTo`. */
export function rerunSteps(from: number, upTo: number): string {
  if (upTo <= from) return 'No finished step is lost.';
  return upTo === from + 1 ? `Step ${upTo}, finished before, is run again.` : `Steps ${from + 1}–${upTo}, finished before, are run again.`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function RestoredRunBanner() {
  const restored = useRunHistoryStore((s) => s.restored);
  const runState = useRunStore((s) => s.state);
  const runId = useRunStore((s) => s.runId);
  const modelLabel = useModelStore((s) => (s.status === 'ready' ? (s.summary?.label ?? null) : null));
  const checkpointLoaded = useModelStore((s) => s.status === 'ready' && s.summary?.run?.resumable === true);
  if (!restored) return null;
  const { run, plan } = restored;
  const { resumeRestored, restartRestored, dismissRestored } = useRunHistoryStore.getState();
  const active = runState === 'running' || runState === 'paused' || runState === 'starting';
  const ours = runId === run.id;
  const total = run.config.max_steps;
  const what = `the run started ${new Date(run.startedAt).toLocaleString()} (${run.model || 'model'}, ${run.dataset || 'dataset'}, ${total} steps)`;
  const lostAt = run.status === 'paused' ? `was paused at step ${run.step}` : `was interrupted during step ${run.step + 1}`;

  let text: string;
  if (plan.kind === 'resume') {
    const rerun = rerunSteps(plan.fromStep, run.step);
    text =
      active && ours
        ? `Resumed ${what}, which ${lostAt} when the page closed: it continues from its checkpoint at step ${plan.fromStep}. ${rerun}`
        : `${capitalised(what)} ${lostAt} when the page closed. Its checkpoint at step ${plan.fromStep} ${checkpointLoaded ? 'is loaded' : 'is loading'}; resuming continues from there. ${rerun}`;
  } else {
    text = `${capitalised(what)} ${lostAt} when the page closed, before its first checkpoint. Its settings are in the form below and its ${run.metrics.length} finished steps in the charts; starting it again with the same settings and seed makes the same run.`;
  }
  const baseReady = modelLabel === run.model;
  return (
    <div className="info-banner" data-testid="restored-run" data-plan={plan.kind} data-from-step={plan.kind === 'resume' ? plan.fromStep : 0} role="status">
      <p>{text}</p>
      {!(active && ours) && (
        <div className="button-row">
          {plan.kind === 'resume' ? (
            <button
              type="button"
              className="primary"
              data-testid="restored-run-resume"
              aria-label={`Resume the interrupted run from step ${plan.fromStep}`}
              disabled={active || !checkpointLoaded}
              onClick={resumeRestored}
            >
              Resume from step {plan.fromStep}
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              data-testid="restored-run-restart"
              aria-label="Start the interrupted run again with the same settings"
              disabled={active || !baseReady}
              onClick={restartRestored}
            >
              Start it again
            </button>
          )}
          <button type="button" data-testid="restored-run-dismiss" aria-label="Keep the interrupted run in the runs list as stopped" disabled={active} onClick={() => void dismissRestored()}>
            Keep it as stopped
          </button>
          {plan.kind === 'restart' && !baseReady && <span className="muted">Load {run.model || 'its model'} in the Model panel first.</span>}
        </div>
      )}
    </div>
  );
}
