import { useEffect, useState } from 'react';
import { DEFAULT_RL_CONFIG } from '../../rl/config.ts';
import { noLearningSignalReasons, type LearningSignalSettings, type StepMetrics } from '../../rl/metrics.ts';
import { phaseProgressText } from '../../rl/runProgress.ts';
import { useMetricsStore } from '../stores/metricsStore.ts';
import { useModelStore } from '../stores/modelStore.ts';
import { useRunHistoryStore } from '../stores/runHistoryStore.ts';
import { CONFIG_FIELDS, useRunStore, type FieldKey, type RunStore } from '../stores/runStore.ts';
import { sendToWorker } from '../engine.ts';
import { RestoredRunBanner } from './RestoredRunBanner.tsx';
import { HeldOutWarning } from './HeldOutWarning.tsx';
import { RecipeLine } from './RecipeLine.tsx';

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

function Field({ field }: { field: (typeof CONFIG_FIELDS)[number] }) {
  const value = useRunStore((s) => s.form[field.key]);
  const error = useRunStore((s) => s.errors[field.key]);
  const busy = useRunStore((s) => s.state === 'running' || s.state === 'paused' || s.state === 'starting');
  const lora = useRunStore((s) => s.form.finetune === 'lora');
  const setField = useRunStore((s) => s.setField);
  if (field.key === 'finetune.rank' && !lora) return null;
  const id = `cfg-${field.key.replace('.', '-')}`;
  const testId = 'testId' in field ? field.testId : `cfg-${field.key.replace('.', '-')}`;
  const common = {
    id,
    'data-testid': testId,
    disabled: busy,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
  };
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id} title={'help' in field ? field.help : undefined}>
        {field.label}
        <span className="key">{field.key}</span>
      </label>
      {field.kind === 'choice' ? (
        <select {...common} value={value} onChange={(e) => setField(field.key, e.target.value)}>
          {field.choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : field.kind === 'bool' ? (
        <input {...common} type="checkbox" checked={value === 'true'} onChange={(e) => setField(field.key, String(e.target.checked))} />
      ) : (
        <input {...common} type="number" step={field.kind === 'int' ? 1 : 'any'} value={value} onChange={(e) => setField(field.key as FieldKey, e.target.value)} />
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

export interface ProgressView {
  /** The bar's value: steps done, and the share done of the step in flight. */
  value: number;
  /** Steps the run goes to (an idle run: the settings'). */
  total: number;
  /** "Step 2 / 5"; null before a run has taken a step or while one starts. */
  steps: string | null;
  /** After the steps: the state, the phase in flight with its share of the step, the ETA, the speed. */
  detail: string;
}

/**
 * The progress line and bar. An idle run's steps are the settings' (what Start would run to); a
 * running one's are the run's, and its bar moves within a step as the phases report.
 */
export function progressView(run: Pick<RunStore, 'state' | 'step' | 'maxSteps' | 'config' | 'phase' | 'estimate' | 'speed'>): ProgressView {
  const done = run.step;
  const total = run.state === 'idle' && run.config ? run.config.max_steps : run.maxSteps || (run.config?.max_steps ?? 0);
  const running = run.state === 'running';
  const phase = running ? run.phase : null;
  const stepFraction = phase && phase.kind !== 'evaluating' ? (run.estimate?.stepFraction ?? null) : null;
  const value = done + (stepFraction ?? 0);
  if (run.state === 'idle' && done === 0) return { value, total, steps: null, detail: 'Not started.' };
  if (run.state === 'starting') return { value, total, steps: null, detail: 'Starting: building the run on the GPU and evaluating the model before training…' };
  const eta = running && run.estimate?.etaSeconds != null ? `${run.estimate.etaAtLeast ? '≥ ' : ''}${formatSeconds(run.estimate.etaSeconds)}` : '–';
  const speed = run.speed ? `${run.speed.tokensPerSecond.toFixed(0)} tokens/s` : '– tokens/s';
  return { value, total, steps: `Step ${done} / ${total}`, detail: ` · ${run.state}${phase ? ` · ${phaseProgressText(phase, run.estimate)}` : ''} · ETA ${eta} · ${speed}` };
}

/**
 * Under the progress line: the step just done learned nothing, in one line that keeps the charts
 * in view while a run trains; the likely causes open under it.
 */
export function NoSignalLine({ last, step, settings }: { last: StepMetrics | undefined; step: number; settings: LearningSignalSettings }) {
  const why = last?.step === step ? noLearningSignalReasons(last, settings) : null;
  if (!why) return null;
  return (
    <details className="warning-note" role="status" data-testid="train-no-signal" data-step={step}>
      <summary>Step {step}: no learning signal this step</summary>
      {why}
    </details>
  );
}

export function TrainingPanel() {
  const run = useRunStore();
  const model = useModelStore((s) => s.summary);
  const modelReady = useModelStore((s) => s.status === 'ready');
  const checkpointStep = useRunHistoryStore((s) => s.checkpointStep);
  const storageError = useRunHistoryStore((s) => s.error);
  const lastMetrics = useMetricsStore((s) => s.history.at(-1));

  useEffect(() => {
    void useRunStore.getState().init();
  }, []);

  // The memory verdict follows the settings once a model is loaded.
  useEffect(() => {
    if (modelReady && run.config) {
      const timer = setTimeout(() => sendToWorker({ type: 'plan', config: run.config! }), 300);
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [modelReady, run.config]);

  const active = run.state === 'running' || run.state === 'paused' || run.state === 'starting';
  const resumable = model?.run?.resumable === true && run.state === 'idle';
  const progress = progressView(run);
  const generalErrors = [run.errors.advanced, run.errors.data].filter(Boolean);
  // Once a run starts its settings fold away (they are fixed while it lasts), so its controls,
  // progress and the headline charts below fit in view together; one click shows them.
  const [settingsOpen, setSettingsOpen] = useState(run.state === 'idle');
  useEffect(() => setSettingsOpen(run.state === 'idle'), [run.state]);

  if (!run.ready) return <section className="panel"><h2>Training</h2><p>Reading the demo settings…</p></section>;
  return (
    <section className="panel" aria-labelledby="training-heading">
      <h2 id="training-heading">Training</h2>
      <RestoredRunBanner />
      {!active && <HeldOutWarning />}
      {generalErrors.map((message) => (
        <p key={message} className="field-error" role="alert">
          {message}
        </p>
      ))}
      <RecipeLine />
      <div className="button-row">
        <button
          type="button"
          className="primary"
          data-testid="train-start"
          disabled={active || !modelReady || !run.config}
          onClick={() => void run.start(resumable, resumable ? (run.runId ?? undefined) : undefined)}
        >
          {resumable ? `Resume from step ${model?.run?.step ?? 0}` : 'Start training'}
        </button>
        <button
          type="button"
          data-testid="train-pause"
          disabled={!(run.state === 'running' || run.state === 'paused') || run.pending !== null}
          onClick={run.state === 'paused' ? run.resume : run.pause}
        >
          {run.state === 'paused' ? 'Resume' : run.pending === 'pause' ? 'Pausing after this step…' : 'Pause'}
        </button>
        <button type="button" data-testid="train-stop" disabled={!(run.state === 'running' || run.state === 'paused') || run.pending === 'stop'} onClick={run.stop}>
          {run.pending === 'stop' ? 'Stopping after this step…' : 'Stop'}
        </button>
        {!modelReady && <span className="muted">Load a model first.</span>}
      </div>
      <div
        className="run-progress"
        data-testid="train-progress"
        data-state={run.state}
        data-step={run.step}
        data-max-steps={progress.total}
        data-phase={run.state === 'running' ? run.phase?.kind : undefined}
      >
        <progress max={Math.max(1, progress.total)} value={progress.value} aria-label="Training progress" />
        <span>
          {progress.steps && <strong>{progress.steps}</strong>}
          {progress.detail}
        </span>
      </div>
      {/* The settings are fixed while a run lasts, so the form's are the run's. */}
      <NoSignalLine last={lastMetrics} step={run.step} settings={run.config ?? DEFAULT_RL_CONFIG} />
      {/* One paragraph for both, so the run's controls and the headline charts share a 900-pixel screen. */}
      {(checkpointStep !== null || run.info) && (
        <p className="muted small">
          {run.info}
          {run.info && checkpointStep !== null && ' '}
          {checkpointStep !== null && (
            <span data-testid="train-checkpoint" data-step={checkpointStep}>
              Last checkpoint kept in this browser: step {checkpointStep}
              {active ? '; a reload or a closed tab resumes the run from it.' : '.'}
            </span>
          )}
        </p>
      )}
      {storageError && (
        <p className="field-error" role="alert" data-testid="runs-storage-error">
          {storageError}
        </p>
      )}
      {run.error && (
        <div className="error-banner" role="alert" data-testid="train-error">
          <p>
            <strong>Training problem:</strong> {run.error.message}
          </p>
          <p>{run.error.recovery}</p>
          <button type="button" onClick={() => useRunStore.setState({ error: null })}>
            Dismiss
          </button>
        </div>
      )}
      <details className="run-settings" open={settingsOpen} onToggle={(e) => setSettingsOpen(e.currentTarget.open)}>
        <summary>Settings{active ? ' (fixed while the run lasts)' : ''}</summary>
        <div className="form-grid">
          {CONFIG_FIELDS.map((f) => (
            <Field key={f.key} field={f} />
          ))}
          <div className={`field${run.errors.evalLimit ? ' invalid' : ''}`}>
            <label htmlFor="cfg-eval-limit" title="held-out prompts evaluated before, during and after the run: both labels alike, each type in proportion to its share">
              Held-out prompts to evaluate
            </label>
            <input
              id="cfg-eval-limit"
              data-testid="train-eval-limit"
              type="number"
              min={0}
              step={1}
              value={run.evalLimit}
              disabled={active}
              onChange={(e) => run.setEvalLimit(e.target.value)}
            />
            {run.errors.evalLimit && <span className="field-error">{run.errors.evalLimit}</span>}
          </div>
        </div>
        <details>
          <summary>Advanced settings (JSON, applied last)</summary>
          <label htmlFor="cfg-advanced" className="muted small">
            Any other key of the run config, e.g. {'{"template": "…{{prompt}}…", "warmup_steps": 5}'}
          </label>
          <textarea
            id="cfg-advanced"
            data-testid="train-config-json"
            rows={4}
            spellCheck={false}
            value={run.advanced}
            disabled={active}
            onChange={(e) => run.setAdvanced(e.target.value)}
          />
        </details>
      </details>
    </section>
  );
}
