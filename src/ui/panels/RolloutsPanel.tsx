import { useDeferredValue, useMemo, useState } from 'react';
import { useRolloutsStore } from '../stores/rolloutsStore.ts';

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** Prompts and completions are model and user text: always rendered as React text nodes, never as HTML. */
export function RolloutsPanel() {
  const rollouts = useDeferredValue(useRolloutsStore((s) => s.rollouts));
  const [filter, setFilter] = useState<'all' | 'harmful' | 'benign'>('all');
  const shown = useMemo(
    () => [...rollouts].reverse().filter((r) => filter === 'all' || r.label === filter).slice(0, 200),
    [rollouts, filter],
  );
  return (
    <section className="panel" aria-labelledby="rollouts-heading">
      <h2 id="rollouts-heading">Rollouts</h2>
      <div className="inline-form">
        <label htmlFor="rollouts-filter">Show</label>
        <select id="rollouts-filter" value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)}>
          <option value="all">all prompts</option>
          <option value="harmful">harmful prompts</option>
          <option value="benign">benign prompts</option>
        </select>
        <span className="muted small">latest steps first; {rollouts.length} completions kept</span>
      </div>
      <div className="table-scroll">
        <table className="data-table" data-testid="rollouts-table" data-rows={shown.length}>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Prompt</th>
              <th scope="col">Label</th>
              <th scope="col">Reasoning</th>
              <th scope="col">Answer</th>
              <th scope="col" title="format verifier">V_f</th>
              <th scope="col" title="refusal verifier and the first rule that matched">V_r (rule)</th>
              <th scope="col" title="safety reward">R_s</th>
              <th scope="col" title="helpfulness reward">R_h</th>
              <th scope="col" title="total reward and advantage">R (adv.)</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={10} className="muted">
                  No rollouts yet: start a run.
                </td>
              </tr>
            )}
            {shown.map((r, i) => (
              <tr key={`${r.step}-${r.promptId}-${i}`} className={r.label}>
                <td>{r.step}</td>
                <td className="text-cell">{r.prompt}</td>
                <td>
                  <span className={`tag ${r.label}`}>{r.label}</span>
                </td>
                <td className="text-cell">{r.reasoning ?? <span className="muted">—</span>}</td>
                <td className="text-cell" title={r.answer === null ? 'no answer tags: the whole completion' : undefined}>
                  {r.answer ?? r.text}
                  {r.clipped && <span className="muted small"> (cut at max length)</span>}
                </td>
                <td title={r.formatReason ?? 'format holds'}>{r.formatScore}</td>
                <td>
                  {r.refusalScore}
                  {r.matchedRule && <span className="muted small"> ({r.matchedRule})</span>}
                </td>
                <td>{num(r.rewardSafety)}</td>
                <td>{num(r.rewardHelpfulness)}</td>
                <td>
                  {num(r.reward)} <span className="muted small">({num(r.advantage)})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
