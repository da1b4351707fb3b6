import { useState } from 'react';
import { exportZip } from '../../export/exportRun.ts';
import type { ExportTarget } from '../../export/exportTypes.ts';
import { asStepMetrics, importRunLog } from '../../export/importRun.ts';
import { loadBrowserPythonSources } from '../../export/browserPythonSources.ts';
import { judgesWithClassifier } from '../../export/verifierSettings.ts';
import { metricsCsv } from '../../rl/metrics.ts';
import { fetchRefusalClassifier, REFUSAL_CLASSIFIER_FILE } from '../../rl/refusalClassifier.ts';
import { APP_VERSION } from '../../version.ts';
import { DEFAULT_RL_CONFIG } from '../../rl/config.ts';
import { downloadBytes } from '../download.ts';
import { newRunId, saveRun, type StoredRun } from '../runPersistence.ts';
import { getEvalRows, getTrainRows, useDatasetStore } from '../stores/datasetStore.ts';
import { useMetricsStore } from '../stores/metricsStore.ts';
import { useRunHistoryStore } from '../stores/runHistoryStore.ts';
import { useModelStore } from '../stores/modelStore.ts';
import { useRunStore } from '../stores/runStore.ts';

export function ExportPanel() {
  const history = useMetricsStore((s) => s.history);
  const state = useRunStore((s) => s.state);
  const loading = useModelStore((s) => s.status === 'loading');
  const hasRun = state !== 'idle' && state !== 'starting';
  const lora = useRunStore((s) => s.config?.finetune.kind === 'lora');
  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <p className="muted small">
        The checkpoint is a zip of a Hugging Face model folder (config.json, model.safetensors, tokenizer files) plus alphaalign_run.json and
        optimizer.safetensors, so a run resumes exactly here or in <code>npm run lab -- train --resume</code>. Weights that did not train stay in
        the precision the model came in (a bf16 base stays bf16); config.json's torch_dtype says which.
        {lora &&
          ' A LoRA run downloads its adapter alone, in PEFT\'s layout (adapter_config.json, adapter_model.safetensors: what TRL and PEFT load on the base model), or merged into the base, in the base\'s precision.'}
      </p>
      <div className="button-row">
        <button type="button" data-testid="export-checkpoint" disabled={!hasRun} onClick={() => useRunStore.getState().exportCheckpoint('alone')}>
          {lora ? 'Download adapter (PEFT, .zip)' : 'Download checkpoint (.zip)'}
        </button>
        {lora && (
          <button type="button" data-testid="export-merged" disabled={!hasRun} onClick={() => useRunStore.getState().exportCheckpoint('merged')}>
            Download merged model (.zip)
          </button>
        )}
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
      const input = { config, model: modelId, train, eval: getEvalRows(), refusalClassifier, trainSource: source, evalSource: source, runCard };
      const bytes = exportZip(target, input, loadBrowserPythonSources());
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
        verifiers as the standard-library Python package <code>alphaalign</code> with this run's settings, which gives the lab's verdicts, the
        data, the settings mapped, a launch script, and a README listing what has no counterpart.
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
      <ImportRunLog />
    </>
  );
}

/**
 * Back again: a scaled-up run's metrics (TRL's trainer_state.json, veRL's JSONL) kept as a run in
 * this browser beside the lab's own and opened in the charts, names mapped as importRun.ts says.
 */
function ImportRunLog() {
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const importFile = async (file: File) => {
    setMessage(null);
    try {
      const imported = importRunLog(await file.text(), file.name);
      const last = imported.steps.at(-1)!.step;
      const now = new Date().toISOString();
      const run: StoredRun = {
        version: 2,
        id: newRunId(),
        startedAt: now,
        updatedAt: now,
        model: `${imported.source === 'trl' ? 'TRL' : 'veRL'} run (${file.name})`,
        dataset: '',
        config: { ...(useRunStore.getState().config ?? DEFAULT_RL_CONFIG), max_steps: last },
        status: 'finished',
        step: last,
        metrics: asStepMetrics(imported.steps),
        evals: [],
        rollouts: [],
        checkpoint: null,
        autoResumedFrom: null,
      };
      await saveRun(run);
      await useRunHistoryStore.getState().refresh();
      useRunHistoryStore.getState().open(run.id);
      const unmapped = imported.unmapped.length > 0 ? ` Not charted (no lab counterpart): ${imported.unmapped.join(', ')}.` : '';
      setMessage({ error: false, text: `Imported ${imported.steps.length} steps of a ${imported.source === 'trl' ? 'TRL' : 'veRL'} run as a run in the Runs panel, shown in the charts.${unmapped}` });
    } catch (error) {
      setMessage({ error: true, text: (error as Error).message });
    }
  };
  return (
    <>
      <label className="button-like">
        Import a TRL or veRL run's metrics…
        <input
          type="file"
          accept=".json,.jsonl,application/json"
          className="visually-hidden"
          data-testid="import-run-log"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void importFile(file);
            e.currentTarget.value = '';
          }}
        />
      </label>
      <p className="muted small">
        TRL's <code>trainer_state.json</code> or veRL's metrics JSONL: rewards, the lab's rates (logged by the exported reward functions),
        KL, entropy, clipping, lengths, gradient norm and learning rate, under the lab's names (docs/export.md).
      </p>
      {message && (
        <p className={message.error ? 'error' : 'muted small'} role={message.error ? 'alert' : 'status'} data-testid="import-run-log-message">
          {message.error ? `Cannot import: ${message.text}` : message.text}
        </p>
      )}
    </>
  );
}
