// Held-out splits: a seeded, label-stratified share of the rows goes to 'eval' (rows already in
// a split keep it unless `overwrite`), so both labels are present on each side. The trainer reads
// split 'eval' as held out and every other row as training data.
import { seededRandom, shuffled } from '../util/random.ts';
import type { PromptRow, Split } from './schema.ts';

/** New rows (the input is not changed) with about `evalFraction` of each label in 'eval', the rest in 'train'. */
export function assignSplits(rows: readonly PromptRow[], evalFraction: number, seed = 0, overwrite = false): PromptRow[] {
  if (!(evalFraction >= 0 && evalFraction <= 1)) throw new RangeError(`the eval share must be between 0 and 1, not ${evalFraction}`);
  const next = rows.map((r) => ({ ...r }));
  const rand = seededRandom(seed);
  for (const label of ['harmful', 'benign'] as const) {
    // The candidates in a seeded order; the first share is held out.
    const open = shuffled(next.map((r, i) => ({ r, i })).filter(({ r }) => r.label === label && (overwrite || !r.split)), rand);
    const held = Math.round(open.length * evalFraction);
    open.forEach(({ i }, k) => {
      next[i]!.split = (k < held ? 'eval' : 'train') satisfies Split;
    });
  }
  return next;
}

/**
 * At most `n` of the rows, for a held-out evaluation limited to n prompts: labels alternate and,
 * within a label, each type gives rows in proportion to its share of the label (systematic
 * sampling: a type's k-th row comes at (k + ½) / its size, ties in the order types first appear),
 * so a small limit measures what the whole split would, rather than the first n rows of the file
 * or the rarest types over-weighted. Rows keep their order.
 */
export function stratifiedSubset(rows: readonly PromptRow[], n: number): PromptRow[] {
  if (n >= rows.length) return [...rows];
  const queues = new Map<string, Map<string, number[]>>();
  rows.forEach((row, i) => {
    const byType = queues.get(row.label) ?? new Map<string, number[]>();
    queues.set(row.label, byType);
    const queue = byType.get(row.type ?? '') ?? [];
    byType.set(row.type ?? '', queue);
    queue.push(i);
  });
  // A label's row indices in the order they are drawn.
  const turns = [...queues.values()].map((byType) => {
    const draws = [...byType.values()].flatMap((queue) => queue.map((index, k) => ({ index, at: (k + 0.5) / queue.length })));
    return draws.sort((a, b) => a.at - b.at).map((d) => d.index)[Symbol.iterator]();
  });
  const picked: number[] = [];
  while (picked.length < n) {
    for (const turn of turns) {
      const next = turn.next();
      if (!next.done && picked.length < n) picked.push(next.value);
    }
  }
  return picked.sort((a, b) => a - b).map((i) => rows[i]!);
}

/** The key two prompts share when they are duplicates: case and runs of whitespace ignored (as the importer flags them). */
export const duplicateKey = (prompt: string) => prompt.trim().toLowerCase().replace(/\s+/g, ' ');

/** For each row that repeats an earlier prompt, the index of the first row with that prompt. */
export function findDuplicates(rows: readonly PromptRow[]): Map<number, number> {
  const first = new Map<string, number>();
  const duplicates = new Map<number, number>();
  rows.forEach((row, i) => {
    const key = duplicateKey(row.prompt);
    const j = first.get(key);
    if (j === undefined) first.set(key, i);
    else duplicates.set(i, j);
  });
  return duplicates;
}

/** How many rows of each label are in each split (no split counts as train). */
export function splitCounts(rows: readonly PromptRow[]): Record<Split, Record<'harmful' | 'benign', number>> {
  const counts = { train: { harmful: 0, benign: 0 }, eval: { harmful: 0, benign: 0 } };
  for (const r of rows) counts[r.split === 'eval' ? 'eval' : 'train'][r.label]++;
  return counts;
}
