import { useDeferredValue, useMemo, useState } from 'react';
import type { RolloutView } from '../../worker/protocol.ts';
import { counted } from '../../util/plural.ts';
import { useRolloutsStore } from '../stores/rolloutsStore.ts';
import './rollouts.css';

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** Characters of a prompt, reasoning or answer shown until the user asks for the rest. */
const TEXT_SHOWN = 160;
/** Characters of a matched rule shown (a regex can be long). */
const RULE_SHOWN = 60;

/** A text cut at `limit` characters, with a button that shows (and hides again) the rest. */
function LongText({ text, limit, what }: { text: string; limit: number; what: string }) {
  const [open, setOpen] = useState(false);
  if (text.length <= limit) return <>{text}</>;
  return (
    <>
      <span data-testid="long-text" data-open={open}>
        {open ? text : `${text.slice(0, limit).trimEnd()}…`}
      </span>{' '}
      <button type="button" className="more" aria-expanded={open} aria-label={`${open ? 'less' : 'more'} of ${what}`} onClick={() => setOpen((o) => !o)}>
        {open ? 'less' : 'more'}
      </button>
    </>
  );
}

/** Words that tell rows apart for a screen reader: the step and the prompt's id. */
const rowName = (r: RolloutView) => `step ${r.step}, prompt ${r.promptId}`;

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
        <span className="muted small" data-testid="rollouts-kept">
          Latest steps first; {counted(rollouts.length, 'completion')} kept.
        </span>
      </div>
      {/* Focusable, so the keyboard can scroll it. */}
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Rollouts of the latest steps">
        <table className="data-table rollouts-table" data-testid="rollouts-table" data-rows={shown.length}>
          {/* Four columns, so the table reads in the narrow run column as well as across a wide screen. */}
          <colgroup>
            <col style={{ width: '3.8em' }} />
            <col style={{ width: '34%' }} />
            <col />
            <col style={{ width: '10em' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Prompt</th>
              <th scope="col">Completion</th>
              <th scope="col" title="V_f: format verifier · V_r: refusal verifier and the first rule that matched · R_s: safety reward · R_h: helpfulness reward · R: total reward and its advantage">
                Verdicts, rewards
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No rollouts yet: start a run.
                </td>
              </tr>
            )}
            {shown.map((r, i) => (
              <tr key={`${r.step}-${r.promptId}-${i}`} className={r.label}>
                <td>{r.step}</td>
                <td className="text-cell" data-testid="rollout-prompt">
                  <span className={`tag ${r.label}`}>{r.label}</span> <LongText text={r.prompt} limit={TEXT_SHOWN} what={`the prompt (${rowName(r)})`} />
                </td>
                <td className="text-cell">
                  {r.reasoning !== null && (
                    <p className="part">
                      <span className="muted small">Reasoning: </span>
                      <LongText text={r.reasoning} limit={TEXT_SHOWN} what={`the reasoning (${rowName(r)})`} />
                    </p>
                  )}
                  <p className="part" title={r.answer === null ? 'no answer tags: the whole completion' : undefined}>
                    <span className="muted small">{r.answer === null ? 'Whole text: ' : 'Answer: '}</span>
                    <LongText text={r.answer ?? r.text} limit={TEXT_SHOWN} what={`the answer (${rowName(r)})`} />
                    {r.clipped && <span className="muted small"> (cut at max length)</span>}
                  </p>
                </td>
                <td className="scores">
                  {/* No break between a name and its value. */}
                  <span title={r.formatReason ?? 'format holds'}>V_f{'\u00a0'}{r.formatScore}</span> · V_r{'\u00a0'}{r.refusalScore}{' '}
                  {r.matchedRule && (
                    <span className="muted small rule" data-testid="rollout-rule">
                      (<LongText text={r.matchedRule} limit={RULE_SHOWN} what={`the matched rule (${rowName(r)})`} />)
                    </span>
                  )}
                  <br />
                  R_s{'\u00a0'}{num(r.rewardSafety)} · R_h{'\u00a0'}{num(r.rewardHelpfulness)}
                  <br />R{'\u00a0'}{num(r.reward)} <span className="muted small">(adv.{'\u00a0'}{num(r.advantage)})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
