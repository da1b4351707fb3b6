import { memo, startTransition, useEffect, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { stepsWithoutLearningSignal, type MetricName } from '../../rl/metrics.ts';
import type { EvalReport } from '../../rl/evaluation.ts';
import { useComparedRuns, type ComparedRun } from '../comparedRuns.ts';
import { useRunSelectionStore } from '../stores/runSelectionStore.ts';

interface Series {
  /** The key in the chart rows (with the run's index when several runs are shown). */
  key: string;
  label: string;
  /** The line's colour while one run is shown; with several, each run's colour, the series told apart by `dash`. */
  color: string;
  dash?: string;
  train?: MetricName;
  eval?: keyof Pick<EvalReport, 'refusal_rate/harmful' | 'over_refusal_rate/benign' | 'format_rate'>;
}

interface ChartSpec {
  id: string;
  title: string;
  percent?: boolean;
  series: Series[];
}

const COLORS = { train: '#2563eb', eval: '#dc2626', a: '#059669', b: '#7c3aed', c: '#d97706' };
const EVAL_DASH = '5 4';

/** The two headline charts first: what AlphaAlign is for. */
const CHARTS: ChartSpec[] = [
  {
    id: 'chart-refusal-rate',
    title: 'Refusal rate on harmful prompts (higher is safer)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'refusal_rate/harmful' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dash: EVAL_DASH, eval: 'refusal_rate/harmful' },
    ],
  },
  {
    id: 'chart-over-refusal-rate',
    title: 'Over-refusal rate on benign prompts (lower is better)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'over_refusal_rate/benign' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dash: EVAL_DASH, eval: 'over_refusal_rate/benign' },
    ],
  },
  {
    id: 'chart-format-rate',
    title: 'Format rate (V_f)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'format_rate' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dash: EVAL_DASH, eval: 'format_rate' },
    ],
  },
  {
    id: 'chart-reward',
    title: 'Reward and its parts',
    series: [
      { key: 'reward', label: 'reward R', color: COLORS.train, train: 'reward' },
      { key: 'safety', label: 'safety R_s', color: COLORS.a, dash: '8 3', train: 'rewards/safety' },
      { key: 'helpfulness', label: 'helpfulness R_h', color: COLORS.b, dash: '2 3', train: 'rewards/helpfulness' },
    ],
  },
  { id: 'chart-kl', title: 'KL to the reference (k3, per token)', series: [{ key: 'kl', label: 'KL', color: COLORS.b, train: 'kl' }] },
  { id: 'chart-entropy', title: 'Entropy (nats per token)', series: [{ key: 'entropy', label: 'entropy', color: COLORS.a, train: 'entropy' }] },
  {
    id: 'chart-completion-length',
    title: 'Completion length (tokens)',
    series: [{ key: 'length', label: 'mean length', color: COLORS.c, train: 'completions/mean_length' }],
  },
  { id: 'chart-tokens-per-second', title: 'Throughput (tokens/s)', series: [{ key: 'tps', label: 'tokens/s', color: COLORS.train, train: 'tokens_per_second' }] },
];

/** The runs a chart draws: what it needs of each shown run. */
export type ChartRun = Pick<ComparedRun, 'id' | 'name' | 'color' | 'metrics' | 'evals'>;

/** One drawn line: a series of one run. */
interface ChartLine {
  key: string;
  name: string;
  color: string;
  dash: string | undefined;
}

type Row = Record<string, number | null>;

/**
 * The chart's rows (one per step) and its lines: with one run, its series under their own keys,
 * names and colours; with several, a line per run per series, in the run's colour, named by both.
 */
export function chartData(spec: ChartSpec, runs: readonly ChartRun[]): { rows: Row[]; lines: ChartLine[] } {
  const byStep = new Map<number, Row>();
  const row = (step: number) => {
    let r = byStep.get(step);
    if (!r) byStep.set(step, (r = { step }));
    return r;
  };
  const single = runs.length === 1;
  const lines: ChartLine[] = [];
  runs.forEach((run, i) => {
    for (const s of spec.series) {
      const key = single ? s.key : `${s.key}-${i}`;
      let drawn = false;
      for (const m of s.train ? run.metrics : []) {
        const value = m[s.train!] as number | null;
        row(m.step)[key] = value;
        drawn ||= value !== null && value !== undefined;
      }
      for (const p of s.eval ? run.evals : []) {
        row(p.step)[key] = p.report[s.eval!];
        drawn = true;
      }
      // Only lines with data get a legend entry: a run without held-out rows draws no held-out line.
      if (drawn) lines.push(single ? { key, name: s.label, color: s.color, dash: s.dash } : { key, name: `${run.name}: ${s.label}`, color: run.color, dash: s.dash });
    }
  });
  return { rows: [...byStep.values()].sort((a, b) => a.step! - b.step!), lines };
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** A shown run's steps that learned nothing (StepMetrics.no_learning_signal), for the charts' note and tooltips. */
export interface StepsWithoutSignal {
  name: string;
  steps: number[];
}

/** The shown runs that had steps without learning signal, each with those steps. */
export function stepsWithoutSignal(runs: readonly ChartRun[]): StepsWithoutSignal[] {
  return runs
    .map((run) => ({ name: run.name, steps: stepsWithoutLearningSignal(run.metrics) }))
    .filter((run) => run.steps.length > 0);
}

/** A chart tooltip's heading: the step, and which shown runs learned nothing at it. */
export function stepHeading(step: number, without: readonly StepsWithoutSignal[], single: boolean): string {
  const learnedNothing = without.filter((run) => run.steps.includes(step));
  if (learnedNothing.length === 0) return `step ${step}`;
  return single ? `step ${step}: no learning signal this step` : `step ${step}: no learning signal this step for ${learnedNothing.map((run) => run.name).join(', ')}`;
}

/** One chart; memoised, so a deferred update renders chart by chart and the main thread can breathe between them. */
export const MetricChart = memo(function MetricChart({ spec, index, runs: latest }: { spec: ChartSpec; index: number; runs: readonly ChartRun[] }) {
  const runs = useStaggered(latest, index);
  const { rows: data, lines } = chartData(spec, runs);
  const without = stepsWithoutSignal(runs);
  const tooltipFormatter = (value: unknown) => (typeof value === 'number' ? (spec.percent ? pct(value) : value.toFixed(3)) : '–');
  return (
    <figure
      className="chart"
      data-testid={spec.id}
      data-points={Math.max(0, ...runs.map((r) => r.metrics.length))}
      data-series={lines.map((l) => l.key).join(' ')}
      data-runs={runs.map((r) => r.name).join('\n')}
      aria-label={spec.title}
    >
      <figcaption>{spec.title}</figcaption>
      {/* Mounted from the start (empty), so the first step only updates it. */}
      {data.length === 0 && <p className="chart-empty muted">{runs.length === 0 ? 'No run shown: tick one above.' : 'No steps yet.'}</p>}
      <LineChart width={CHART_WIDTH} height={data.length === 0 ? 0 : 200 + 18 * Math.max(0, Math.ceil(lines.length / 2) - 1)} data={data} margin={{ top: 8, right: 16, bottom: 18, left: 4 }}>
        <CartesianGrid stroke="#e4e9ef" />
        <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} label={{ value: 'step', position: 'insideBottom', offset: -8 }} />
        <YAxis
          width={48}
          {...(spec.percent ? { domain: [0, 1], tickFormatter: pct } : { tickFormatter: (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Number(v.toFixed(3)))) })}
        />
        <Tooltip formatter={tooltipFormatter} labelFormatter={(step) => stepHeading(Number(step), without, runs.length === 1)} />
        <Legend verticalAlign="top" />
        {lines.map((l) => (
          <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeWidth={2} strokeDasharray={l.dash} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </figure>
  );
});

const CHART_WIDTH = 480;

/**
 * The value (the shown runs), taken up by chart `index` a little after the previous chart: each chart
 * renders and commits in a task of its own, so a step's update never blocks the page in one go.
 */
function useStaggered<T>(value: T, index: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    if (shown === value) return undefined;
    const timer = setTimeout(() => startTransition(() => setShown(value)), 40 * index);
    return () => clearTimeout(timer);
  }, [value, shown, index]);
  return shown;
}

/**
 * The run selector, as TensorBoard's and W&B's: every run this page can show, each with its colour,
 * a tick to show or hide it in the charts and the Eval panel, and its name to edit.
 */
export function RunSelector({ runs }: { runs: readonly ComparedRun[] }) {
  const { setShown, rename } = useRunSelectionStore.getState();
  return (
    // Many runs kept scroll in a box of their own, so the headline charts stay near the top.
    <div className="table-scroll" style={{ maxHeight: '15rem', overflowY: 'auto' }}>
      <table className="data-table" data-testid="run-selector">
        <caption className="muted small">Runs to show in the charts and the Eval panel: this tab's and those kept in this browser (the Runs panel).</caption>
        <thead>
          <tr>
            <th scope="col">Shown</th>
            <th scope="col">Name</th>
            <th scope="col">Steps</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="run-choice" data-run-id={run.id} data-shown={run.shown}>
              <td>
                <label>
                  <input type="checkbox" data-testid="run-shown" checked={run.shown} onChange={(e) => setShown(run.id, e.currentTarget.checked)} />
                  <span aria-hidden="true" style={{ display: 'inline-block', width: 14, height: 4, margin: '0 0 3px 6px', background: run.color }} />
                  <span className="visually-hidden">Show {run.name}</span>
                </label>
              </td>
              <td>
                <input
                  type="text"
                  data-testid="run-name"
                  aria-label={`Name of ${run.live ? "this tab's run" : 'the run'} ${run.defaultName}`}
                  value={run.givenName ?? ''}
                  placeholder={run.defaultName}
                  onChange={(e) => rename(run.id, e.currentTarget.value)}
                />
                {run.live && <span className="muted small"> (this tab)</span>}
              </td>
              <td>{run.step}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Which steps of the shown runs learned nothing; the Training panel's line says why for the step just done. */
export function NoSignalNote({ runs }: { runs: readonly ChartRun[] }) {
  const without = stepsWithoutSignal(runs);
  if (without.length === 0) return null;
  return (
    <p className="warning-note small" data-testid="charts-no-signal" title="Every prompt's completions were rewarded alike, or the gradient was zero: the policy had nothing to learn from. Hover a step for its values.">
      No learning signal at {without.map((run) => `${runs.length === 1 ? '' : `${run.name}: `}step${run.steps.length === 1 ? '' : 's'} ${run.steps.join(', ')}`).join('; ')}
    </p>
  );
}

export function ChartsPanel() {
  const runs = useComparedRuns();
  // The same array until the runs change, so the memoised charts skip renders of the panel alone.
  const shown = useMemo(() => runs.filter((r) => r.shown), [runs]);
  return (
    <section className="panel" aria-labelledby="charts-heading">
      <h2 id="charts-heading">Charts</h2>
      <p className="muted small">
        Solid: a run's rollouts at each step (sampled). Dashed: greedy answers on the held-out split (step 0: before training). Each run has its colour.
      </p>
      {/* Only this tab's run, shown: nothing to choose. */}
      {(runs.length > 1 || shown.length === 0) && <RunSelector runs={runs} />}
      <NoSignalNote runs={shown} />
      <div className="chart-grid">
        {CHARTS.map((spec, index) => (
          <MetricChart key={spec.id} spec={spec} index={index} runs={shown} />
        ))}
      </div>
    </section>
  );
}
