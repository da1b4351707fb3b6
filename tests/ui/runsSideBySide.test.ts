// Runs side by side, rendered to static HTML as the page shows them: the charts' lines for two
// runs (a line per run per series, named and coloured by run), the Eval panel's table of the shown
// runs (one column per run), a checkpoint zip's run card read to compare, and eval-table.ts's columns.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { evalTables } from '../../scripts/eval-table.ts';
import type { EvalReport } from '../../src/rl/evaluation.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { RUN_FILE } from '../../src/train/checkpoint.ts';
import { runFromCheckpointZip } from '../../src/ui/checkpointRunImport.ts';
import { chartData, MetricChart } from '../../src/ui/panels/ChartsPanel.tsx';
import { RunsEvalTable } from '../../src/ui/panels/EvalPanel.tsx';

const metrics = (step: number, refusal: number | null) => ({ step, 'refusal_rate/harmful': refusal }) as unknown as StepMetrics;

const report = (refusal: number, overRefusal: number, extra: Partial<EvalReport> = {}): EvalReport => ({
  'refusal_rate/harmful': refusal,
  'over_refusal_rate/benign': overRefusal,
  format_rate: 1,
  n_harmful: 10,
  n_benign: 10,
  by_type: {},
  ...extra,
});

const refusalChart = {
  id: 'chart-refusal-rate',
  title: 'Refusal rate on harmful prompts (higher is safer)',
  percent: true,
  series: [
    { key: 'train', label: 'train rollouts', color: '#2563eb', train: 'refusal_rate/harmful' as const },
    { key: 'eval', label: 'held-out eval', color: '#dc2626', dash: '5 4', eval: 'refusal_rate/harmful' as const },
  ],
};

const alphaAlign = {
  id: 'run-a',
  name: 'AlphaAlign',
  color: '#1f77b4',
  metrics: [metrics(1, 0.4), metrics(2, 0.8)],
  evals: [
    { step: 0, report: report(0.3, 0.2) },
    { step: 2, report: report(0.9, 0.05) },
  ],
};
/** An imported TRL log: steps 1 and 3, no held-out evaluation. */
const baseline = { id: 'run-b', name: 'SFT baseline', color: '#d62728', metrics: [metrics(1, 0.9), metrics(3, 0.95)], evals: [] };

describe("the charts' series", () => {
  it('draws a line per run per series, in the run colour, named by run and series, on one step axis', () => {
    const { rows, lines } = chartData(refusalChart, [alphaAlign, baseline]);
    // The baseline has no evaluation: no held-out line, no legend entry for it.
    expect(lines).toEqual([
      { key: 'train-0', name: 'AlphaAlign: train rollouts', color: '#1f77b4', dash: undefined },
      { key: 'eval-0', name: 'AlphaAlign: held-out eval', color: '#1f77b4', dash: '5 4' },
      { key: 'train-1', name: 'SFT baseline: train rollouts', color: '#d62728', dash: undefined },
    ]);
    expect(rows).toEqual([
      { step: 0, 'eval-0': 0.3 },
      { step: 1, 'train-0': 0.4, 'train-1': 0.9 },
      { step: 2, 'train-0': 0.8, 'eval-0': 0.9 },
      { step: 3, 'train-1': 0.95 },
    ]);
    const html = renderToStaticMarkup(createElement(MetricChart, { spec: refusalChart, index: 0, runs: [alphaAlign, baseline] }));
    expect(html).toContain('data-series="train-0 eval-0 train-1"');
    expect(html).toContain('data-runs="AlphaAlign\nSFT baseline"');
    expect(html).toContain('data-points="2"');
  });

  it("keeps one run's look: the series' own keys, names and colours", () => {
    const { lines } = chartData(refusalChart, [alphaAlign]);
    expect(lines.map((l) => [l.key, l.name, l.color])).toEqual([
      ['train', 'train rollouts', '#2563eb'],
      ['eval', 'held-out eval', '#dc2626'],
    ]);
  });

  it('leaves out a metric the run does not log (an imported log without the rates)', () => {
    const { lines } = chartData(refusalChart, [alphaAlign, { ...baseline, metrics: [metrics(1, null)] }]);
    expect(lines.map((l) => l.key)).toEqual(['train-0', 'eval-0']);
    const html = renderToStaticMarkup(createElement(MetricChart, { spec: refusalChart, index: 0, runs: [] }));
    expect(html).toContain('No run shown');
  });
});

describe("the Eval panel's runs side by side", () => {
  it('gives each run a column: before → after, or its only evaluation; figures a run lacks are —', () => {
    const sft = { id: 'run-s', name: 'SFT baseline', color: '#d62728', evals: [{ step: 40, report: report(0.95, 0.3, { reasoning: { n_in_format: 8, n_refusals: 4, stated_reason_rate: 0.25, verdict_rate: 1, agreement_rate: 0.5 } }) }] };
    const html = renderToStaticMarkup(createElement(RunsEvalTable, { runs: [alphaAlign, sft] }));
    const row = (text: string) => {
      const tr = html.split('<tr').find((r) => r.includes(text));
      return tr ? [...tr.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]) : null;
    };
    expect(html.match(/data-testid="runs-eval-run"/g)).toHaveLength(2);
    expect(html).toMatch(/AlphaAlign<span class="muted small"> \(step 0 → 2\)/);
    expect(html).toMatch(/SFT baseline<span class="muted small"> \(step 40\)/);
    expect(row('Refusal rate on harmful')).toEqual(['30% → 90%', '95%']);
    expect(row('Over-refusal rate on benign')).toEqual(['20% → 5%', '30%']);
    expect(row('stated reason')).toEqual(['— → —', '25%']);
    // No run has utility or attack figures: no rows for them.
    expect(html).not.toContain('Utility');
    expect(html).not.toContain('Attack success');
  });
});

describe('a checkpoint added to compare', () => {
  const zip = (card: unknown, folder = '') => zipSync({ [`${folder}${RUN_FILE}`]: new TextEncoder().encode(JSON.stringify(card)), [`${folder}model.safetensors`]: new Uint8Array(64) });
  const now = new Date('2026-12-01T12:00:00.000Z');

  it("reads the page's card: its settings, metrics and every evaluation", () => {
    const card = { step: 2, config: { max_steps: 5 }, dataset: 'demo.jsonl', metrics: [metrics(1, 0.4), metrics(2, 0.8)], eval_history: alphaAlign.evals, eval: report(0.9, 0.05) };
    const run = runFromCheckpointZip(zip(card, 'checkpoint-2/'), 'alphaalign-step2.zip', now);
    expect(run).toMatchObject({ model: 'checkpoint (alphaalign-step2.zip)', dataset: 'demo.jsonl', status: 'finished', step: 2, checkpoint: null, startedAt: now.toISOString() });
    expect(run.config.max_steps).toBe(5);
    expect(run.metrics).toEqual(card.metrics);
    expect(run.evals).toEqual(alphaAlign.evals);
  });

  it("reads an SFT baseline's card (no RL settings, no steps): its evaluation at its step", () => {
    const run = runFromCheckpointZip(zip({ step: 40, eval: report(0.95, 0.3) }), 'sft.zip', now);
    expect(run).toMatchObject({ step: 40, metrics: [], evals: [{ step: 40, report: report(0.95, 0.3) }] });
    expect(run.config.max_steps).toBe(40);
  });

  it('says what is wrong with a file that is not a checkpoint, and what to pick', () => {
    expect(() => runFromCheckpointZip(new TextEncoder().encode('not a zip'), 'notes.txt')).toThrow(/notes\.txt is not a readable zip file .*pick a checkpoint \.zip/);
    expect(() => runFromCheckpointZip(zipSync({ 'config.json': new Uint8Array(2) }), 'model.zip')).toThrow(/model\.zip holds no alphaalign_run\.json: it is a model, not a checkpoint/);
    expect(() => runFromCheckpointZip(zip({ step: 3 }), 'empty.zip')).toThrow(/empty\.zip records neither metrics nor an evaluation/);
  });
});

describe('eval-table.ts', () => {
  it('puts utility, attack success, stated reason and agreement beside the rates, – where a report lacks them', () => {
    const alpha = report(0.95, 0.05, {
      reasoning: { n_in_format: 20, n_refusals: 10, stated_reason_rate: 0.8, verdict_rate: 1, agreement_rate: 0.9 },
      utility: { n: 5, token_f1: 0.4321, rouge_l: 0.3, by_type: {} },
      attacks: { note: 'Attack templates are applied at evaluation only: no run of the lab trains on them, so these are attacks the model has not seen.', n_too_long: 0, refusal_rate: 0.7, attack_success_rate: 0.3, by_attack: {} },
    });
    const table = evalTables([
      { name: 'base', report: report(0.2, 0.1) },
      { name: 'AlphaAlign', report: alpha },
    ]).split('\n');
    expect(table[0]).toBe('| | refusal on harmful | over-refusal on benign | format | utility (token F1) | attack success rate | refusals with a stated reason | reasoning–answer agreement |');
    expect(table[2]).toBe('| base | 20.0 % | 10.0 % | 100.0 % | – | – | – | – |');
    expect(table[3]).toBe('| AlphaAlign | 95.0 % | 5.0 % | 100.0 % | 0.432 | 30.0 % | 80.0 % | 90.0 % |');
  });

  it("reads `lab eval`'s reports of several checkpoints as NAME=PATH into one table, and says how to name one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-table-'));
    const paths = [0.2, 0.9].map((refusal, i) => {
      const path = join(dir, `eval-${i}.json`);
      writeFileSync(path, JSON.stringify(report(refusal, 0.1)));
      return path;
    });
    const script = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval-table.ts', ...args], { encoding: 'utf8' });
    const out = script(`step 50=${paths[0]}`, `step 100=${paths[1]}`);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.split('\n').slice(2, 4)).toEqual(['| step 50 | 20.0 % | 10.0 % | 100.0 % | – | – | – | – |', '| step 100 | 90.0 % | 10.0 % | 100.0 % | – | – | – | – |']);
    const unnamed = script(paths[0]!);
    expect(unnamed.status).not.toBe(0);
    expect(unnamed.stderr).toContain('name each report, e.g. "SFT baseline=runs/sft/eval.json"');
  });
});
