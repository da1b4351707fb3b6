import { metricsCsv } from '../../rl/metrics.ts';
import { downloadBytes } from '../download.ts';
import { useMetricsStore } from '../stores/metricsStore.ts';
import { useModelStore } from '../stores/modelStore.ts';
import { useRunStore } from '../stores/runStore.ts';

export function ExportPanel() {
  const history = useMetricsStore((s) => s.history);
  const state = useRunStore((s) => s.state);
  const loading = useModelStore((s) => s.status === 'loading');
  const hasRun = state !== 'idle' && state !== 'starting';
  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <p className="muted small">
        The checkpoint is a zip of a Hugging Face model folder (config.json, model.safetensors, tokenizer files) plus alphaalign_run.json and
        optimizer.safetensors, so a run resumes exactly here or in <code>npm run lab -- train --resume</code>.
      </p>
      <div className="button-row">
        <button type="button" data-testid="export-checkpoint" disabled={!hasRun} onClick={() => useRunStore.getState().exportCheckpoint()}>
          Download checkpoint (.zip)
        </button>
        <button
          type="button"
          data-testid="export-metrics"
          disabled={history.length === 0}
          onClick={() => downloadBytes(metricsCsv(history), 'alphaalign-metrics.csv', 'text/csv')}
        >
          Download metrics (.csv)
        </button>
        <label className="button-like">
          Import a checkpoint to resume…
          <input
            type="file"
            accept=".zip,application/zip"
            className="visually-hidden"
            data-testid="import-checkpoint"
            disabled={loading || state === 'running' || state === 'paused'}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void useModelStore.getState().importCheckpoint(file, file.name);
              e.currentTarget.value = '';
            }}
          />
        </label>
      </div>
      {state === 'running' && <p className="muted small">While training, the download comes after the current step.</p>}
    </section>
  );
}
