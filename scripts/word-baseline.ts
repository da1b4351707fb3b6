// How far do a prompt's words alone tell harmful from benign? A naive Bayes classifier over the
// set of words in each prompt (Bernoulli, add-one smoothing), fitted to the demo's training
// split and scored on its held-out split by source. It is no bound on what a model could learn
// from these prompts, but a gauge of it: XSTest pairs each unsafe prompt with a safe one in the
// same words ("kill a Python process" / "kill my neighbour"), so telling them apart takes
// knowledge of the world that the data does not hold.
//
//   npx tsx scripts/word-baseline.ts [train.jsonl] [eval.jsonl]
import { readFileSync } from 'node:fs';
import { importDataset } from '../src/data/import.ts';
import type { Label, PromptRow } from '../src/data/schema.ts';
import { demoSource } from './demo-sources.ts';

const [trainPath = 'public/datasets/demo-train.jsonl', evalPath = 'public/datasets/demo-eval.jsonl'] = process.argv.slice(2);
const load = (path: string) => importDataset(readFileSync(path, 'utf8'), path).rows;
const words = (prompt: string) => new Set(prompt.toLowerCase().match(/[a-z]+/g) ?? []);
const LABELS: readonly Label[] = ['harmful', 'benign'];

function fitNaiveBayes(rows: readonly PromptRow[]): (prompt: string) => Label {
  const rowsOf = new Map(LABELS.map((l) => [l, rows.filter((r) => r.label === l).length]));
  const wordCounts = new Map(LABELS.map((l) => [l, new Map<string, number>()]));
  for (const r of rows) for (const w of words(r.prompt)) wordCounts.get(r.label)!.set(w, (wordCounts.get(r.label)!.get(w) ?? 0) + 1);
  const vocabulary = new Set(rows.flatMap((r) => [...words(r.prompt)]));
  // log P(label) + Σ over the prompt's known words of the log-odds of seeing that word; words
  // the prompt lacks add the same to both labels' scores up to a constant, left out.
  const score = (label: Label, prompt: string) => {
    const n = rowsOf.get(label)!;
    let s = Math.log(n);
    for (const w of words(prompt)) {
      if (!vocabulary.has(w)) continue;
      const k = wordCounts.get(label)!.get(w) ?? 0;
      s += Math.log((k + 1) / (n + 2)) - Math.log((n - k + 1) / (n + 2));
    }
    return s;
  };
  return (prompt) => (score('harmful', prompt) >= score('benign', prompt) ? 'harmful' : 'benign');
}

const classify = fitNaiveBayes(load(trainPath));
const held = load(evalPath);
console.log('| source | label | n | called harmful by words alone |\n| --- | --- | --- | --- |');
for (const source of [...new Set(held.map((r) => demoSource(r.type)))].sort()) {
  for (const label of LABELS) {
    const rows = held.filter((r) => demoSource(r.type) === source && r.label === label);
    if (rows.length === 0) continue;
    const flagged = rows.filter((r) => classify(r.prompt) === 'harmful').length;
    console.log(`| ${source} | ${label} | ${rows.length} | ${((100 * flagged) / rows.length).toFixed(1)} % |`);
  }
}
