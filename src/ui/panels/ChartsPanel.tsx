import { memo, startTransition, useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricName, StepMetrics } from '../../rl/metrics.ts';
import type { EvalReport } from '../../rl/evaluation.ts';
import { useEvalStore } from '../stores/evalStore.ts';
import { useMetricsStore } from '../stores/metricsStore.ts';

interface Series {
  /** The key in the chart rows. */
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
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

const CHARTS: ChartSpec[] = [
  {
    id: 'chart-refusal-rate',
    title: 'Refusal rate on harmful prompts (higher is safer)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'refusal_rate/harmful' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dashed: true, eval: 'refusal_rate/harmful' },
    ],
  },
  {
    id: 'chart-over-refusal-rate',
    title: 'Over-refusal rate on benign prompts (lower is better)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'over_refusal_rate/benign' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dashed: true, eval: 'over_refusal_rate/benign' },
    ],
  },
  {
    id: 'chart-format-rate',
    title: 'Format rate (V_f)',
    percent: true,
    series: [
      { key: 'train', label: 'train rollouts', color: COLORS.train, train: 'format_rate' },
      { key: 'eval', label: 'held-out eval', color: COLORS.eval, dashed: true, eval: 'format_rate' },
    ],
  },
  {
    id: 'chart-reward',
    title: 'Reward and its parts',
    series: [
      { key: 'reward', label: 'reward R', color: COLORS.train, train: 'reward' },
      { key: 'safety', label: 'safety R_s', color: COLORS.a, train: 'rewards/safety' },
      { key: 'helpfulness', label: 'helpfulness R_h', color: COLORS.b, train: 'rewards/helpfulness' },
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

type Row = Record<string, number | null>;

function rows(spec: ChartSpec, history: readonly StepMetrics[], evals: readonly { step: number; report: EvalReport }[]): Row[] {
  const byStep = new Map<number, Row>();
  const row = (step: number) => {
    let r = byStep.get(step);
    if (!r) byStep.set(step, (r = { step }));
    return r;
  };
  for (const m of history) {
    const r = row(m.step);
    for (const s of spec.series) if (s.train) r[s.key] = m[s.train] as number | null;
  }
  for (const p of evals) {
    for (const s of spec.series) if (s.eval) row(p.step)[s.key] = p.report[s.eval];
  }
  return [...byStep.values()].sort((a, b) => a.step! - b.step!);
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** One chart; memoised, so a deferred update renders chart by chart and the main thread can breathe between them. */
const MetricChart = memo(function MetricChart({ spec, index }: { spec: ChartSpec; index: number }) {
  const history = useStaggered(useMetricsStore((s) => s.history), index);
  const evals = useStaggered(useEvalStore((s) => s.points), index);
  const hasEval = spec.series.some((s) => s.eval);
  const data = rows(spec, history, hasEval ? evals : []);
  // Only lines with data get a legend entry: a run without held-out rows draws no held-out line.
  const drawn = spec.series.filter((s) => data.some((r) => r[s.key] !== undefined && r[s.key] !== null));
  const tooltipFormatter = (value: unknown) => (typeof value === 'number' ? (spec.percent ? pct(value) : value.toFixed(3)) : '–');
  return (
    <figure className="chart" data-testid={spec.id} data-points={history.length} data-series={drawn.map((s) => s.key).join(' ')} aria-label={spec.title}>
      <figcaption>{spec.title}</figcaption>
      {/* Mounted from the start (empty), so the first step only updates it. */}
      {data.length === 0 && <p className="chart-empty muted">No steps yet.</p>}
      {(
        <LineChart width={CHART_WIDTH} height={data.length === 0 ? 0 : 200} data={data} margin={{ top: 8, right: 16, bottom: 18, left: 4 }}>
            <CartesianGrid stroke="#e4e9ef" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} label={{ value: 'step', position: 'insideBottom', offset: -8 }} />
            <YAxis
              width={48}
              {...(spec.percent ? { domain: [0, 1], tickFormatter: pct } : { tickFormatter: (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Number(v.toFixed(3)))) })}
            />
            <Tooltip formatter={tooltipFormatter} labelFormatter={(step) => `step ${String(step)}`} />
            <Legend verticalAlign="top" height={24} />
            {drawn.map((s) => (
              <Line
                key={s.key}
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '5 4' : undefined}
                dot={{ r: 3 }}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
      )}
    </figure>
  );
});

const CHART_WIDTH = 480;

/**
 * The store's value, taken up by chart `index` a little after the previous chart: each chart
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

export function ChartsPanel() {
  return (
    <section className="panel" aria-labelledby="charts-heading">
      <h2 id="charts-heading">Charts</h2>
      <p className="muted small">Solid lines: the run's own rollouts at each step (sampled). Dashed: greedy answers on the held-out split (step 0 is before training).</p>
      <div className="chart-grid">
        {CHARTS.map((spec, index) => (
          <MetricChart key={spec.id} spec={spec} index={index} />
        ))}
      </div>
    </section>
  );
}
