import { useEffect, useId, useState, type DragEvent } from 'react';
import { gib } from '../../model/memoryPlanner.ts';
import { useModelStore } from '../stores/modelStore.ts';

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

const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

export function ModelPanel() {
  const { status, requested, progress, summary, plan, adapter, error } = useModelStore();
  const { loadDemo, loadFiles, loadHub, clearError } = useModelStore.getState();
  const [repoId, setRepoId] = useState('');
  const [dragging, setDragging] = useState(false);
  const hubId = useId();

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
            Loaded <strong>{summary.label}</strong>: {summary.architecture}, {summary.layers} layers, width {summary.hiddenSize}, vocabulary{' '}
            {summary.vocabSize}, {fmtCount(summary.parameters)} parameters, context {summary.maxPositions}
            {summary.hasAdapter ? ', with a LoRA adapter' : ''}
            {summary.run ? `; a checkpoint at step ${summary.run.step}` : ''}.
          </>
        )}
        {status === 'error' && 'No model is loaded.'}
      </p>
      {status === 'loading' && (
        <div className="progress-row">
          <progress data-testid="model-progress" max={1} value={fraction} aria-label="Model load progress" />
          <span className="muted">
            {progress?.phase === 'download' && `downloading ${progress.label}: ${(progress.done / 2 ** 20).toFixed(1)} / ${(progress.total / 2 ** 20).toFixed(1)} MiB`}
            {progress?.phase === 'weights' && `tensors ${progress.done} / ${progress.total}`}
            {progress?.phase === 'config' && 'reading config.json'}
          </span>
        </div>
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
          choose its files or the zip…
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
        <button type="submit" disabled={!repoId.trim() || status === 'loading'}>
          Fetch from the Hub
        </button>
        <button type="button" onClick={loadDemo} disabled={status === 'loading'}>
          Load the demo model
        </button>
      </form>
      <p className="muted small">Only a repo you type here is fetched from huggingface.co; nothing else leaves the page.</p>
    </section>
  );
}
