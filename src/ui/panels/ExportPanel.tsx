import { useState } from 'react';
import { exportZip } from '../../export/exportRun.ts';
import type { ExportTarget } from '../../export/exportTypes.ts';
import { judgesWithClassifier } from '../../export/verifierModule.ts';
import { metricsCsv } from '../../rl/metrics.ts';
import { fetchRefusalClassifier, REFUSAL_CLASSIFIER_FILE } from '../../rl/refusalClassifier.ts';
import { APP_VERSION } from '../../version.ts';
import { downloadBytes } from '../download.ts';
import { getEvalRows, getTrainRows, useDatasetStore } from '../stores/datasetStore.ts';
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
      <HandOver />
    </section>
  );
}

/**
 * The experiment as the Training panel would start it (the data as labelled, the rules and the
 * config as set), as a zip for TRL or veRL (src/export/); its README says how to launch it.
 */
function HandOver() {
  const config = useRunStore((s) => s.config);
  const requested = useModelStore((s) => s.requested);
  const datasetName = useDatasetStore((s) => s.name);
  const [model, setModel] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const modelId = (model ?? requested ?? '').trim();
  const download = async (target: ExportTarget) => {
    setProblem(null);
    const train = getTrainRows();
    if (!config) return setProblem('the settings have problems: fix the fields marked in red in the Training panel');
    if (train.length === 0) return setProblem('the dataset has no training rows: load one in the Data panel');
    try {
      const source = datasetName || 'dataset';
      // The learned refusal classifier goes along when the run judges with it.
      const refusalClassifier = judgesWithClassifier(config) ? await fetchRefusalClassifier(new URL(REFUSAL_CLASSIFIER_FILE, document.baseURI)) : null;
      const runCard = { command: 'Export panel', appVersion: APP_VERSION, dataset: source };
      const bytes = exportZip(target, { config, model: modelId, train, eval: getEvalRows(), refusalClassifier, trainSource: source, evalSource: source, runCard });
      downloadBytes(new Uint8Array(bytes), `alphaalign-${target}.zip`, 'application/zip');
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  return (
    <>
      <h3>Scale up</h3>
      <p className="muted small">
        The same data, rules and settings for Hugging Face TRL (one node, <code>accelerate launch</code>) or veRL (Ray, several nodes): the
        verifiers as standard-library Python that gives the lab's verdicts, the data, the settings mapped, a launch script, and a README listing
        what has no counterpart.
      </p>
      <label>
        Model to train there (Hugging Face id or folder){' '}
        <input type="text" data-testid="export-model" value={modelId} placeholder="Qwen/Qwen2.5-1.5B-Instruct" onChange={(e) => setModel(e.currentTarget.value)} />
      </label>
      <div className="button-row">
        <button type="button" data-testid="export-trl" disabled={!config || modelId === ''} onClick={() => void download('trl')}>
          Export for TRL (.zip)
        </button>
        <button type="button" data-testid="export-verl" disabled={!config || modelId === ''} onClick={() => void download('verl')}>
          Export for veRL (.zip)
        </button>
      </div>
      {problem && (
        <p className="error" role="alert" data-testid="export-problem">
          Cannot export: {problem}
        </p>
      )}
    </>
  );
}
