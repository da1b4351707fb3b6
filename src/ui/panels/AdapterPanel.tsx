import { useEffect } from 'react';
import { useGpuStore } from '../stores/gpuStore.ts';
import { useModelStore } from '../stores/modelStore.ts';

/** Bytes as MiB, with decimals only below 10. */
function mib(bytes: number): string {
  const m = bytes / 2 ** 20;
  return `${m < 10 ? Number(m.toFixed(2)) : m.toFixed(0)} MiB`;
}

/** The WebGPU adapter that will run the kernels, or the reason there is none and what to do. */
export function AdapterPanel() {
  const state = useGpuStore((s) => s.state);
  const probe = useGpuStore((s) => s.probe);
  const bindingCapText = useGpuStore((s) => s.bindingCapText);
  const bindingCapProblem = useGpuStore((s) => s.bindingCapProblem);
  const setBindingCapText = useGpuStore((s) => s.setBindingCapText);
  // The training worker's own device, once it has one: the limit it works to, the cap applied.
  const workerAdapter = useModelStore((s) => s.adapter);
  useEffect(() => {
    void probe();
  }, [probe]);

  return (
    <section className="panel" aria-labelledby="adapter-heading">
      <h2 id="adapter-heading">GPU</h2>
      {state.status === 'probing' && <p data-testid="adapter-info">Looking for a WebGPU adapter…</p>}
      {state.status === 'error' && (
        <p className="error" role="alert" data-testid="adapter-error">
          {state.message}
        </p>
      )}
      {state.status === 'ready' && (
        <dl className="facts" data-testid="adapter-info" data-vendor={state.adapter.vendor}>
          <dt>Vendor</dt>
          <dd>{state.adapter.vendor || 'unknown'}</dd>
          <dt>Architecture</dt>
          <dd>{state.adapter.architecture || 'unknown'}</dd>
          <dt>Description</dt>
          <dd>{state.adapter.description || '—'}</dd>
          <dt>Largest storage buffer</dt>
          <dd>{mib(state.adapter.limits.maxStorageBufferBindingSize ?? 0)}</dd>
          {workerAdapter && (
            <>
              <dt>The lab works to</dt>
              <dd data-testid="binding-limit">{mib(workerAdapter.summary.limits.maxStorageBufferBindingSize ?? 0)} per buffer</dd>
            </>
          )}
          <dt>Features</dt>
          <dd>{state.adapter.features.join(', ')}</dd>
        </dl>
      )}
      <div className={bindingCapProblem ? 'field invalid' : 'field'}>
        <label htmlFor="binding-cap">Binding cap (MiB)</label>
        <input
          id="binding-cap"
          type="text"
          inputMode="decimal"
          data-testid="binding-cap"
          placeholder="the adapter's limit"
          value={bindingCapText}
          aria-invalid={bindingCapProblem !== null}
          aria-describedby="binding-cap-help"
          onChange={(e) => setBindingCapText(e.target.value)}
        />
        <span id="binding-cap-help" className={bindingCapProblem ? 'field-error' : 'muted small'} role={bindingCapProblem ? 'alert' : undefined}>
          {bindingCapProblem ??
            "Below the adapter's largest storage buffer, to work as a smaller GPU does: larger tensors are stored as row blocks. It applies when the first model loads; a change after that, at the next page load."}
        </span>
      </div>
    </section>
  );
}
