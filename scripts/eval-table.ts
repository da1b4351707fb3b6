// Markdown tables of `lab eval` / `lab train` reports side by side (several checkpoints, the base,
// the SFT baseline, AlphaAlign), as the README shows them:
//   npx tsx scripts/eval-table.ts "demo base=runs/base-eval.json" "AlphaAlign=runs/demo/eval.json"
// The first table holds the headline rates and what else AlphaAlign claims: utility (token F1 of
// benign answers to their references), the attack success rate under jailbreak templates (from
// `lab eval --attacks`), the share of refusals with a stated reason and the reasoning–answer
// agreement; a report without a figure shows –. The second holds the refusal rate per source (the
// demo's XSTest types pooled by label), the third per prompt type.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { EvalReport } from '../src/rl/evaluation.ts';
import { demoSource } from './demo-sources.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);
const score = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(3));

export interface NamedReport {
  name: string;
  report: EvalReport;
}

/** The three tables, as one Markdown text. */
export function evalTables(runs: readonly NamedReport[]): string {
  const lines = [
    '| | refusal on harmful | over-refusal on benign | format | utility (token F1) | attack success rate | refusals with a stated reason | reasoning–answer agreement |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      ({ name, report }) =>
        `| ${name} | ${pct(report['refusal_rate/harmful'])} | ${pct(report['over_refusal_rate/benign'])} | ${pct(report.format_rate)} | ${score(report.utility?.token_f1)} | ${pct(report.attacks?.attack_success_rate)} | ${pct(report.reasoning?.stated_reason_rate)} | ${pct(report.reasoning?.agreement_rate)} |`,
    ),
    '',
    `| source | label | n | ${runs.map((r) => r.name).join(' | ')} |`,
    `| --- | --- | --- | ${runs.map(() => '---').join(' | ')} |`,
  ];
  // XSTest's types pooled by label, its safe and unsafe prompts apart.
  const source = (type: string, label: string) => {
    const name = demoSource(type);
    return name === 'XSTest' ? `XSTest ${label === 'harmful' ? 'unsafe' : 'safe'}` : name;
  };
  const pooled = runs.map((r) => {
    const bySource = new Map<string, { label: string; n: number; refused: number }>();
    for (const [type, t] of Object.entries(r.report.by_type)) {
      const key = source(type, t.label);
      const entry = bySource.get(key) ?? { label: t.label, n: 0, refused: 0 };
      entry.n += t.n;
      entry.refused += t.n * t.refusal_rate;
      bySource.set(key, entry);
    }
    return bySource;
  });
  for (const key of [...new Set(pooled.flatMap((p) => [...p.keys()]))].sort()) {
    const first = pooled.map((p) => p.get(key)).find((e) => e !== undefined)!;
    const cells = pooled.map((p) => {
      const e = p.get(key);
      return e ? pct(e.refused / e.n) : '–';
    });
    lines.push(`| ${key} | ${first.label} | ${first.n} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    `| type | label | n | ${runs.map((r) => `${r.name} refusal`).join(' | ')} |`,
    `| --- | --- | --- | ${runs.map(() => '---').join(' | ')} |`,
  );
  const types = [...new Set(runs.flatMap((r) => Object.keys(r.report.by_type)))].sort();
  for (const type of types) {
    const first = runs.map((r) => r.report.by_type[type]).find((t) => t !== undefined)!;
    const cells = runs.map((r) => {
      const t = r.report.by_type[type];
      return t ? pct(t.refusal_rate) : '–';
    });
    lines.push(`| ${type} | ${first.label} | ${first.n} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** NAME=PATH arguments, each an eval.json (`lab eval --out`, or a run's eval.json). */
export function readNamedReports(args: readonly string[]): NamedReport[] {
  if (args.length === 0) throw new Error('usage: eval-table.ts NAME=eval.json [NAME=eval.json …]');
  return args.map((arg) => {
    const at = arg.indexOf('=');
    if (at < 1) throw new Error(`expected NAME=PATH, got ${arg}: name each report, e.g. "SFT baseline=runs/sft/eval.json"`);
    return { name: arg.slice(0, at), report: JSON.parse(readFileSync(arg.slice(at + 1), 'utf8')) as EvalReport };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(evalTables(readNamedReports(process.argv.slice(2))));
