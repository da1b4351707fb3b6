// Held-out splits: a seeded share of each label's rows goes to 'eval', each type of the label in
// proportion (rows already in a split keep it unless `overwrite`), so both labels and every type
// are present on each side. The trainer reads split 'eval' as held out and every other row as
// training data.
import { seededRandom, shuffled } from '../util/random.ts';
import type { PromptRow, Split } from './schema.ts';

/** The share of rows held out when a file without a split column is imported, until the user sets another. */
export const DEFAULT_EVAL_FRACTION = 0.15;

/** The seed of the split made for a file without one, so the page and `lab train` split the same file the same way each time. */
export const IMPORT_SPLIT_SEED = 0;

/**
 * How the held-out split of the open dataset came about, recorded in a run's card: from the
 * files' split column, made by the lab (share and seed), and whether splits were then set by hand.
 */
export interface HeldOutChoice {
  fromFile: boolean;
  made: { fraction: number; seed: number } | null;
  editedByHand: boolean;
}

/** The held-out split as a run's card records it (alphaalign_run.json's `held_out`). */
export interface HeldOutRecord {
  from_file: boolean;
  made: { fraction: number; seed: number; stratified_by: ['label', 'type'] } | null;
  edited_by_hand: boolean;
  /** Held-out rows in the dataset, and how many of them the run evaluates (its limit, those that fit). */
  rows: number;
  evaluated: number;
}

export function heldOutRecord(choice: HeldOutChoice, rows: number, evaluated: number): HeldOutRecord {
  return {
    from_file: choice.fromFile,
    made: choice.made ? { ...choice.made, stratified_by: ['label', 'type'] } : null,
    edited_by_hand: choice.editedByHand,
    rows,
    evaluated,
  };
}

/** A stored HeldOutChoice read back; null if it is not one. */
export function reviveHeldOutChoice(value: unknown): HeldOutChoice | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.fromFile !== 'boolean' || typeof v.editedByHand !== 'boolean') return null;
  const made = v.made as Record<string, unknown> | null | undefined;
  const validMade = !!made && typeof made.fraction === 'number' && made.fraction >= 0 && made.fraction <= 1 && typeof made.seed === 'number';
  if (made !== null && !validMade) return null;
  return { fromFile: v.fromFile, made: validMade ? { fraction: made.fraction as number, seed: made.seed as number } : null, editedByHand: v.editedByHand };
}

/**
 * Row indices grouped by type, in the order systematic sampling draws them: a type's k-th row
 * comes at (k + ½) / its size, ties in the order the types are given, so any prefix holds each
 * type in proportion to its size.
 */
function proportionalOrder(groups: readonly (readonly number[])[]): number[] {
  const draws = groups.flatMap((group) => group.map((index, k) => ({ index, at: (k + 0.5) / group.length })));
  return draws.sort((a, b) => a.at - b.at).map((d) => d.index);
}

/** Row indices by label, then by type (labels and types in the order they first appear). */
function byLabelAndType(rows: readonly PromptRow[], include: (row: PromptRow) => boolean = () => true): Map<string, Map<string, number[]>> {
  const groups = new Map<string, Map<string, number[]>>();
  rows.forEach((row, i) => {
    if (!include(row)) return;
    const byType = groups.get(row.label) ?? new Map<string, number[]>();
    groups.set(row.label, byType);
    const group = byType.get(row.type ?? '') ?? [];
    byType.set(row.type ?? '', group);
    group.push(i);
  });
  return groups;
}

/**
 * New rows (the input is not changed) with about `evalFraction` of each label in 'eval', the rest
 * in 'train': round(fraction × the label's open rows) held out, drawn from each type in proportion
 * (seeded shuffles within a type choose which rows).
 */
export function assignSplits(rows: readonly PromptRow[], evalFraction: number, seed = 0, overwrite = false): PromptRow[] {
  if (!(evalFraction >= 0 && evalFraction <= 1)) throw new RangeError(`the eval share must be between 0 and 1, not ${evalFraction}`);
  const next = rows.map((r) => ({ ...r }));
  const rand = seededRandom(seed);
  for (const byType of byLabelAndType(rows, (r) => overwrite || !r.split).values()) {
    const order = proportionalOrder([...byType.values()].map((group) => shuffled(group, rand)));
    const held = Math.round(order.length * evalFraction);
    order.forEach((i, k) => {
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
  // A label's row indices in the order they are drawn.
  const turns = [...byLabelAndType(rows).values()].map((byType) => proportionalOrder([...byType.values()])[Symbol.iterator]());
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
