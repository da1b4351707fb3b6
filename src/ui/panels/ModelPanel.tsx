import { useEffect, useId, useState, type DragEvent } from 'react';
import { gib } from '../../model/memoryPlanner.ts';
import { counted } from '../../util/plural.ts';
import { useHubSettingsStore } from '../stores/hubSettingsStore.ts';
import { useModelStore, type FileDownload } from '../stores/modelStore.ts';

/** The picker's attribute for a whole folder (Chromium, Firefox, Safari): not in React's typings. */
const FOLDER_PICKER = { webkitdirectory: '' } as Record<string, string>;

/** Every file under a dropped folder (or the dropped files themselves), with their relative paths. */
async function droppedFiles(event: DragEvent): Promise<File[]> {
  const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...event.dataTransfer.files];
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      files.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}

/** A file's size in the unit that shows it best (a config.json's bytes, a shard's MiB or GiB). */
function fmtBytes(bytes: number): string {
  if (bytes < 2 ** 10) return `${bytes} B`;
  if (bytes < 2 ** 20) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return gib(bytes);
}

/** One file's download as a progress bar (bytes of its Content-Length; indeterminate without one). */
function FileProgress({ download: { file, received, total } }: { download: FileDownload }) {
  // A compressed answer's Content-Length counts the compressed bytes: never show past the end.
  const max = total === null ? null : Math.max(total, received);
  const percent = max ? Math.floor((100 * received) / max) : max === 0 ? 100 : null;
  const text = max === null ? `${fmtBytes(received)} received` : `${percent}% of ${fmtBytes(max)}`;
  return (
    <li className="file-progress">
      <span className="file-progress-name">{file}</span>
      <div
        role="progressbar"
        aria-label={`Downloading ${file}`}
        aria-valuemin={0}
        aria-valuemax={max ?? undefined}
        aria-valuenow={max === null ? undefined : received}
        aria-valuetext={text}
        className="file-progress-track"
      >
        <div className="file-progress-bar" style={{ width: `${percent ?? 0}%` }} />
      </div>
      <span className="muted small">{text}</span>
    </li>
  );
}

const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

export function ModelPanel() {
  const { status, requested, progress, downloads, summary, plan, adapter, error } = useModelStore();
  const { baseUrlText, baseUrl, baseUrlProblem, token, setBaseUrlText, setToken } = useHubSettingsStore();
  const { loadDemo, loadFiles, loadHub, clearError } = useModelStore.getState();
  const [repoId, setRepoId] = useState('');
  const [dragging, setDragging] = useState(false);
  const hubId = useId();
  const hubBaseId = useId();
  const tokenId = useId();

  useEffect(() => {
    if (useModelStore.getState().status === 'idle') loadDemo();
  }, [loadDemo]);

  const fraction = progress && progress.total > 0 ? progress.done / progress.total : 0;
  return (
    <section className="panel" aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      <p data-testid="model-status" data-status={status} role="status" className={status === 'error' ? 'error' : undefined}>
        {status === 'idle' && 'No model loaded yet.'}
        {status === 'loading' && `Loading ${requested ?? 'the model'}…`}
        {status === 'ready' && summary && (
          <>
            Loaded <strong>{summary.label}</strong>: {summary.architecture}, {counted(summary.layers, 'layer')}, width {summary.hiddenSize}, vocabulary{' '}
            {summary.vocabSize}, {fmtCount(summary.parameters)} parameters, context {summary.maxPositions}
            {summary.hasAdapter ? ', with a LoRA adapter' : ''}
            {summary.run ? `; a checkpoint at step ${summary.run.step}` : ''}.
          </>
        )}
        {status === 'error' && 'No model is loaded.'}
      </p>
      {status === 'ready' &&
        summary?.warnings.map((warning) => (
          <p key={warning} className="warning-note" role="status" data-testid="model-warning">
            {warning}
          </p>
        ))}
      {status === 'loading' && (
        <div className="progress-row">
          <progress data-testid="model-progress" max={1} value={fraction} aria-label="Model load progress" />
          <span className="muted">
            {progress?.phase === 'weights' && `tensors ${progress.done} / ${progress.total}`}
            {progress?.phase === 'config' && 'reading config.json'}
          </span>
        </div>
      )}
      {status === 'loading' && downloads.length > 0 && (
        <ul className="file-progress-list" aria-label="Files downloading" data-testid="model-downloads">
          {downloads.map((download) => (
            <FileProgress key={download.file} download={download} />
          ))}
        </ul>
      )}
      {error && (
        <div className="error-banner" role="alert" data-testid="model-error">
          <p>
            <strong>Could not load:</strong> {error.message}
          </p>
          <p>{error.recovery}</p>
          <button type="button" onClick={clearError}>
            Dismiss
          </button>
        </div>
      )}
      {plan && (
        <p data-testid="model-plan" data-ok={plan.plan.ok} className={plan.plan.ok ? 'verdict ok' : 'verdict bad'}>
          <strong>Memory plan:</strong>{' '}
          {plan.plan.ok
            ? `fits — ${gib(plan.plan.totalBytes)} on the GPU${adapter ? ` of a ${gib(adapter.budgetBytes)} budget` : ''} (micro-batch ${plan.shape.batch}, sequences up to ${plan.shape.seqLen} tokens, ${fmtCount(plan.plan.trainableParameters)} trainable parameters).`
            : plan.plan.problem}
        </p>
      )}
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        data-testid="model-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void droppedFiles(e).then((files) => files.length > 0 && loadFiles(files));
        }}
      >
        <p>Drop a Hugging Face model folder (config.json, tokenizer.json, model.safetensors) or a checkpoint zip here, or</p>
        <label className="button-like">
          choose the folder…
          <input
            type="file"
            {...FOLDER_PICKER}
            className="visually-hidden"
            data-testid="model-folder-input"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              if (files.length > 0) loadFiles(files);
              e.currentTarget.value = '';
            }}
          />
        </label>{' '}
        <label className="button-like">
          its files or the zip…
          <input
            type="file"
            multiple
            className="visually-hidden"
            data-testid="model-file-input"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              if (files.length > 0) loadFiles(files);
              e.currentTarget.value = '';
            }}
          />
        </label>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (repoId.trim()) loadHub(repoId);
        }}
      >
        <label htmlFor={hubId}>Hugging Face repo id or page address</label>
        <input id={hubId} data-testid="model-hub-id" value={repoId} placeholder="HuggingFaceTB/SmolLM2-135M-Instruct" onChange={(e) => setRepoId(e.target.value)} />
        <button type="submit" disabled={!repoId.trim() || status === 'loading' || baseUrl === null}>
          Fetch from the Hub
        </button>
        <button type="button" onClick={loadDemo} disabled={status === 'loading'}>
          Load the demo model
        </button>
      </form>
      <details className="hub-settings">
        <summary>Hub address and access token</summary>
        <div className={baseUrlProblem ? 'field invalid' : 'field'}>
          <label htmlFor={hubBaseId}>Hub address</label>
          <input
            id={hubBaseId}
            data-testid="hub-base-url"
            value={baseUrlText}
            placeholder="https://huggingface.co"
            aria-invalid={baseUrlProblem !== null}
            aria-describedby={`${hubBaseId}-help`}
            onChange={(e) => setBaseUrlText(e.target.value)}
          />
          <span id={`${hubBaseId}-help`} className={baseUrlProblem ? 'field-error' : 'muted small'} role={baseUrlProblem ? 'alert' : undefined}>
            {baseUrlProblem ??
              "Empty for huggingface.co; a mirror laid out like the Hub (/owner/name/resolve/revision/file) can only be reached if the page's server allows it."}
          </span>
        </div>
        <div className="field">
          <label htmlFor={tokenId}>Access token (gated or private repos)</label>
          <input
            id={tokenId}
            data-testid="hub-token"
            type="password"
            autoComplete="off"
            value={token}
            placeholder="hf_…"
            aria-describedby={`${tokenId}-help`}
            onChange={(e) => setToken(e.target.value)}
          />
          <span id={`${tokenId}-help`} className="muted small">
            Accept the model's licence on its Hub page first. The token is sent only to the Hub address above and kept only until the page closes.
          </span>
        </div>
      </details>
      <p className="muted small">Only a repo you type here is fetched, from the Hub address above; nothing else leaves the page.</p>
    </section>
  );
}
