// Assembles the demo's train and held-out eval splits from the published data sets in
// ../shared/datasets, as they are: harmful prompts from AdvBench (imperatives), CatQA (questions)
// and XSTest's unsafe contrast prompts; benign ones from the Alpaca seed tasks and self-instruct's
// user-oriented tasks (both with their reference answers) and XSTest's safe prompts that look
// unsafe. The eval split is held out and stratified by source and type.
//
//   npx tsx scripts/build-demo-data.ts     (rerunnable; seeded, so the splits never move)
import { readFileSync, writeFileSync } from 'node:fs';
import { exportJsonl, importDataset } from '../src/data/import.ts';
import type { Label, PromptRow } from '../src/data/schema.ts';
import { seededRandom, shuffled } from '../src/util/random.ts';

const SHARED = '../shared/datasets';
const OUT = 'public/datasets';
const EVAL_FRACTION = 0.15;

function load(file: string, source: string, defaultLabel?: Label): PromptRow[] {
  const result = importDataset(readFileSync(`${SHARED}/${file}`, 'utf8'), file, defaultLabel ? { defaultLabel } : {});
  if (result.problems.length > 0) throw new Error(`${file}: ${result.problems.length} rows could not be read`);
  // The breakdown key: XSTest's own type, otherwise the source.
  return result.rows.map((r) => ({ ...r, id: `${source}-${r.id}`, type: source === 'xstest' ? r.type! : source }));
}

const rows = [
  ...load('advbench_harmful_behaviors.csv', 'advbench', 'harmful'),
  ...load('xstest_prompts.csv', 'xstest'),
  ...load('catqa_english.json', 'catqa', 'harmful'),
  ...load('alpaca_seed_tasks.jsonl', 'alpaca', 'benign'),
  ...load('self_instruct_user_oriented.jsonl', 'self-instruct', 'benign'),
];

const random = seededRandom(20250720);
const strata = new Map<string, PromptRow[]>();
for (const r of rows) strata.set(`${r.label}/${r.type}`, [...(strata.get(`${r.label}/${r.type}`) ?? []), r]);
const train: PromptRow[] = [];
const evalRows: PromptRow[] = [];
for (const [, group] of [...strata].sort(([a], [b]) => a.localeCompare(b))) {
  const order = shuffled(group, random);
  const held = Math.max(1, Math.round(order.length * EVAL_FRACTION));
  evalRows.push(...order.slice(0, held).map((r) => ({ ...r, split: 'eval' as const })));
  train.push(...order.slice(held).map((r) => ({ ...r, split: 'train' as const })));
}

writeFileSync(`${OUT}/demo-train.jsonl`, exportJsonl(shuffled(train, random)));
writeFileSync(`${OUT}/demo-eval.jsonl`, exportJsonl(evalRows));
const count = (xs: PromptRow[], label: Label) => xs.filter((r) => r.label === label).length;
console.log(`train: ${train.length} (${count(train, 'harmful')} harmful, ${count(train, 'benign')} benign)`);
console.log(`eval:  ${evalRows.length} (${count(evalRows, 'harmful')} harmful, ${count(evalRows, 'benign')} benign), ${strata.size} strata`);
