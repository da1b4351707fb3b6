import { useDeferredValue, useMemo } from 'react';
import { ATTACK_TEMPLATES } from '../../rl/attacks.ts';
import { ATTACKS_NOTE, type EvalReport } from '../../rl/evaluation.ts';
import type { RefusalJudgeKind } from '../../rl/refusalJudge.ts';
import type { EvalPoint } from '../../worker/protocol.ts';
import { useComparedRuns, type ComparedRun } from '../comparedRuns.ts';
import { useEvalStore } from '../stores/evalStore.ts';

const pct = (x: number | null | undefined) => (x === undefined || x === null ? '—' : `${(100 * x).toFixed(0)}%`);
const delta = (a: number | null | undefined, b: number | null | undefined) => {
  if (a === undefined || b === undefined || a === null || b === null) return '—';
  const d = Math.round(100 * (b - a));
  return `${d > 0 ? '+' : ''}${d} pts`;
};

const OVERALL: { key: keyof Pick<EvalReport, 'refusal_rate/harmful' | 'over_refusal_rate/benign' | 'format_rate'>; label: string }[] = [
  { key: 'refusal_rate/harmful', label: 'Refusal rate on harmful (higher is safer)' },
  { key: 'over_refusal_rate/benign', label: 'Over-refusal rate on benign (lower is better)' },
  { key: 'format_rate', label: 'Format rate' },
];

const score = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
const scoreDelta = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(3)}`);

/**
 * Reasoning depth (reasoningDepth.ts) as shares, and utility (utility.ts) as scores: each row's
 * value and the count it is taken over.
 */
const FIGURES: { label: string; kind: 'share' | 'score'; value: (r: EvalReport) => number | undefined; n: (r: EvalReport) => number | undefined }[] = [
  { label: 'Refusals whose reasoning names a harm (a stated reason)', kind: 'share', value: (r) => r.reasoning?.stated_reason_rate, n: (r) => r.reasoning?.n_refusals },
  { label: 'Answers that follow their reasoning (reasoning–answer agreement)', kind: 'share', value: (r) => r.reasoning?.agreement_rate, n: (r) => r.reasoning?.n_in_format },
  { label: 'Utility: token F1 of benign answers to their references', kind: 'score', value: (r) => r.utility?.token_f1, n: (r) => r.utility?.n },
  { label: 'Utility: ROUGE-L of benign answers to their references', kind: 'score', value: (r) => r.utility?.rouge_l, n: (r) => r.utility?.n },
  { label: "Utility: the reward model's mean score", kind: 'score', value: (r) => r.utility?.reward_model, n: (r) => (r.utility?.reward_model === undefined ? undefined : r.utility.n) },
];

/** The figures the runs are compared on, as shares; absent (—) where a run's reports lack them. */
const COMPARED: { label: string; kind: 'share' | 'score'; value: (r: EvalReport) => number | null | undefined }[] = [
  ...OVERALL.map(({ key, label }) => ({ label, kind: 'share' as const, value: (r: EvalReport) => r[key] })),
  { label: 'Refusals with a stated reason', kind: 'share', value: (r) => r.reasoning?.stated_reason_rate },
  { label: 'Reasoning–answer agreement', kind: 'share', value: (r) => r.reasoning?.agreement_rate },
  { label: 'Utility (token F1 to the references)', kind: 'score', value: (r) => r.utility?.token_f1 },
  { label: 'Attack success rate (lower is safer; never trained on)', kind: 'share', value: (r) => r.attacks?.attack_success_rate },
];

/** A run's evaluation before training (step 0, or its first) and after (its last, if later). */
function beforeAfter(points: readonly EvalPoint[]): { before: EvalPoint | undefined; after: EvalPoint | undefined } {
  const before = points.find((p) => p.step === 0) ?? points[0];
  return { before, after: points.length > 1 ? points.at(-1) : undefined };
}

/** The shown runs side by side, one column per run: each figure before → after. */
export function RunsEvalTable({ runs }: { runs: readonly Pick<ComparedRun, 'id' | 'name' | 'color' | 'evals'>[] }) {
  const columns = runs.map((run) => ({ run, ...beforeAfter(run.evals) }));
  const cell = (kind: 'share' | 'score', value: (r: EvalReport) => number | null | undefined, before: EvalPoint | undefined, after: EvalPoint | undefined) => {
    const show = (p: EvalPoint | undefined) => {
      const x = p && value(p.report);
      return kind === 'share' ? pct(x) : score(x ?? undefined);
    };
    return after ? `${show(before)} → ${show(after)}` : show(before);
  };
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid="runs-eval-table" data-runs={runs.length}>
        <caption className="muted small">The runs shown in the charts, side by side: before training → after (greedy answers on each run's held-out split).</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {columns.map(({ run, before, after }) => (
              <th scope="col" key={run.id} data-testid="runs-eval-run">
                <span aria-hidden="true" style={{ display: 'inline-block', width: 14, height: 4, margin: '0 6px 3px 0', background: run.color }} />
                {run.name}
                <span className="muted small"> (step {before?.step ?? '—'}{after ? ` → ${after.step}` : ''})</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {COMPARED.filter(({ value }) => columns.some(({ before, after }) => [before, after].some((p) => p && value(p.report) !== undefined))).map(({ label, kind, value }) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {columns.map(({ run, before, after }) => (
                <td key={run.id}>{cell(kind, value, before, after)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function EvalPanel() {
  const compared = useComparedRuns();
  // Memoised: a fresh array each render would give useDeferredValue a background render each time.
  const others = useDeferredValue(useMemo(() => compared.filter((r) => r.shown && !r.live && r.evals.length > 0), [compared]));
  const points = useDeferredValue(useEvalStore((s) => s.points));
  const live = compared[0]!;
  const progress = useEvalStore((s) => s.progress);
  const attacksOn = useEvalStore((s) => s.attacks);
  const setAttacks = useEvalStore((s) => s.setAttacks);
  return (
    <section className="panel" aria-labelledby="eval-heading">
      <h2 id="eval-heading">Evaluation on the held-out split</h2>
      {progress && (
        <p className="muted" role="status">
          Evaluating at step {progress.step}: {progress.done} / {progress.total} prompts…
        </p>
      )}
      <label className="small">
        <input type="checkbox" checked={attacksOn} onChange={(e) => setAttacks(e.target.checked)} data-testid="eval-attacks" /> also evaluate the held-out harmful
        prompts under {ATTACK_TEMPLATES.length} jailbreak templates, before and after training (from the next run; never trained on)
      </label>
      {others.length > 0 && (
        <>
          <RunsEvalTable runs={[...(live.shown && points.length > 0 ? [{ ...live, evals: points }] : []), ...others]} />
          <h3 className="small">{live.name} (this tab's run) in detail</h3>
        </>
      )}
      <EvalTable points={points} />
      {points.length === 0 && <p className="muted">The model is evaluated when a run starts and when it ends.</p>}
    </section>
  );
}

const JUDGE_NAMES: Record<RefusalJudgeKind, string> = { rules: 'the rules', combined: 'rules + classifier', onnx: 'rules + your ONNX classifier' };

/** Which refusal judge scored the rates (reports from before the choice name none). */
function judgeNote(before: RefusalJudgeKind | undefined, after: RefusalJudgeKind | undefined): string {
  const kinds = [...new Set([before, after].filter((k): k is RefusalJudgeKind => k !== undefined))];
  return kinds.length === 0 ? '' : ` Refusals judged by ${kinds.map((k) => JUDGE_NAMES[k]).join(' (before), then ')}${kinds.length > 1 ? ' (after)' : ''}.`;
}

/** Before (step 0, or the first evaluation) beside after (the last): overall, reasoning, utility, attacks and per type. */
export function EvalTable({ points }: { points: readonly EvalPoint[] }) {
  const before = points.find((p) => p.step === 0) ?? points[0];
  const after = points.length > 1 ? points.at(-1) : undefined;
  const types = [...new Set([...Object.keys(before?.report.by_type ?? {}), ...Object.keys(after?.report.by_type ?? {})])].sort();
  const utilityTypes = [...new Set([...Object.keys(before?.report.utility?.by_type ?? {}), ...Object.keys(after?.report.utility?.by_type ?? {})])].sort();
  return (
  <table className="data-table" data-testid="eval-table" data-points={points.length}>
    <caption className="muted small">
      Greedy answers. Before: step {before?.step ?? '—'}
      {before ? ` (${before.report.n_harmful} harmful, ${before.report.n_benign} benign prompts)` : ''}. After: step {after?.step ?? '—'}.
      {judgeNote(before?.report.judge, after?.report.judge)}
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
      {FIGURES.filter(({ n }) => (before && n(before.report) !== undefined) || (after && n(after.report) !== undefined)).map(({ label, kind, value, n }) => {
        const [b, a] = [before && value(before.report), after && value(after.report)];
        return (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{(before && n(before.report)) ?? (after && n(after.report)) ?? '—'}</td>
            <td>{kind === 'share' ? pct(b) : score(b)}</td>
            <td>{kind === 'share' ? pct(a) : score(a)}</td>
            <td>{kind === 'share' ? delta(b, a) : scoreDelta(b, a)}</td>
          </tr>
        );
      })}
      {utilityTypes.length > 0 && (
        <tr className="subhead">
          <th scope="rowgroup" colSpan={5}>
            Utility by type (token F1 to the reference)
          </th>
        </tr>
      )}
      {utilityTypes.map((type) => {
        const b = before?.report.utility?.by_type[type];
        const a = after?.report.utility?.by_type[type];
        return (
          <tr key={`utility-${type}`} data-testid="eval-utility-row">
            <th scope="row">{type}</th>
            <td>{(b ?? a)?.n ?? '—'}</td>
            <td>{score(b?.token_f1)}</td>
            <td>{score(a?.token_f1)}</td>
            <td>{scoreDelta(b?.token_f1, a?.token_f1)}</td>
          </tr>
        );
      })}
      {(before?.report.attacks ?? after?.report.attacks) && (
        <>
          <tr className="subhead">
            <th scope="rowgroup" colSpan={5} title={ATTACKS_NOTE}>
              Attack success rate under jailbreak templates (lower is safer; never trained on)
            </th>
          </tr>
          <tr>
            <th scope="row">All attacks</th>
            <td>{Object.values((before ?? after)!.report.attacks?.by_attack ?? {}).reduce((sum, a) => sum + a.n, 0)}</td>
            <td>{pct(before?.report.attacks?.attack_success_rate)}</td>
            <td>{pct(after?.report.attacks?.attack_success_rate)}</td>
            <td>{delta(before?.report.attacks?.attack_success_rate, after?.report.attacks?.attack_success_rate)}</td>
          </tr>
          {ATTACK_TEMPLATES.map(({ name, family, source }) => {
            const b = before?.report.attacks?.by_attack[name];
            const a = after?.report.attacks?.by_attack[name];
            return (
              <tr key={name} data-testid="eval-attack-row">
                <th scope="row" title={source}>
                  {family}
                </th>
                <td>{(b ?? a)?.n ?? '—'}</td>
                <td>{pct(b?.attack_success_rate)}</td>
                <td>{pct(a?.attack_success_rate)}</td>
                <td>{delta(b?.attack_success_rate, a?.attack_success_rate)}</td>
              </tr>
            );
          })}
        </>
      )}
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
  );
}
