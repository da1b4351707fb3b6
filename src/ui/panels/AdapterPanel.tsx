import { useEffect } from 'react';
import { useGpuStore } from '../stores/gpuStore.ts';

/** The WebGPU adapter that will run the kernels, or the reason there is none and what to do. */
export function AdapterPanel() {
  const state = useGpuStore((s) => s.state);
  const probe = useGpuStore((s) => s.probe);
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
          <dd>{((state.adapter.limits.maxStorageBufferBindingSize ?? 0) / 2 ** 20).toFixed(0)} MiB</dd>
          <dt>Features</dt>
          <dd>{state.adapter.features.join(', ')}</dd>
        </dl>
      )}
    </section>
  );
}
