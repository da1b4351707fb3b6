import { useDeferredValue } from 'react';
import type { EvalReport } from '../../rl/evaluation.ts';
import { useEvalStore } from '../stores/evalStore.ts';

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(0)}%`);
const delta = (a: number | undefined, b: number | undefined) => {
  if (a === undefined || b === undefined) return '—';
  const d = Math.round(100 * (b - a));
  return `${d > 0 ? '+' : ''}${d} pts`;
};

const OVERALL: { key: keyof Pick<EvalReport, 'refusal_rate/harmful' | 'over_refusal_rate/benign' | 'format_rate'>; label: string }[] = [
  { key: 'refusal_rate/harmful', label: 'Refusal rate on harmful (higher is safer)' },
  { key: 'over_refusal_rate/benign', label: 'Over-refusal rate on benign (lower is better)' },
  { key: 'format_rate', label: 'Format rate' },
];

export function EvalPanel() {
  const points = useDeferredValue(useEvalStore((s) => s.points));
  const progress = useEvalStore((s) => s.progress);
  const before = points.find((p) => p.step === 0) ?? points[0];
  const after = points.length > 1 ? points.at(-1) : undefined;
  const types = [...new Set([...Object.keys(before?.report.by_type ?? {}), ...Object.keys(after?.report.by_type ?? {})])].sort();
  return (
    <section className="panel" aria-labelledby="eval-heading">
      <h2 id="eval-heading">Evaluation on the held-out split</h2>
      {progress && (
        <p className="muted" role="status">
          Evaluating at step {progress.step}: {progress.done} / {progress.total} prompts…
        </p>
      )}
      <table className="data-table" data-testid="eval-table" data-points={points.length}>
        <caption className="muted small">
          Greedy answers. Before: step {before?.step ?? '—'}
          {before ? ` (${before.report.n_harmful} harmful, ${before.report.n_benign} benign prompts)` : ''}. After: step {after?.step ?? '—'}.
        </caption>
        <thead>
          <tr>
            <th scope="col">Metric / type</th>
            <th scope="col">n</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {OVERALL.map(({ key, label }) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td>{key === 'format_rate' ? (before ? before.report.n_harmful + before.report.n_benign : '—') : key === 'refusal_rate/harmful' ? (before?.report.n_harmful ?? '—') : (before?.report.n_benign ?? '—')}</td>
              <td>{pct(before?.report[key])}</td>
              <td>{pct(after?.report[key])}</td>
              <td>{delta(before?.report[key], after?.report[key])}</td>
            </tr>
          ))}
          {types.length > 0 && (
            <tr className="subhead">
              <th scope="rowgroup" colSpan={5}>
                Refusal rate by type
              </th>
            </tr>
          )}
          {types.map((type) => {
            const b = before?.report.by_type[type];
            const a = after?.report.by_type[type];
            return (
              <tr key={type}>
                <th scope="row">
                  {type} <span className={`tag ${(b ?? a)?.label ?? ''}`}>{(b ?? a)?.label}</span>
                </th>
                <td>{(b ?? a)?.n ?? '—'}</td>
                <td>{pct(b?.refusal_rate)}</td>
                <td>{pct(a?.refusal_rate)}</td>
                <td>{delta(b?.refusal_rate, a?.refusal_rate)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {points.length === 0 && <p className="muted">The model is evaluated when a run starts and when it ends.</p>}
    </section>
  );
}
