// Which prompts each step trains on: the training rows in a seeded order, reshuffled every epoch,
// prompts_per_step at a time. A function of the step alone, so a resumed run continues exactly.
// With balance_labels, half of a step's prompts (rounded up) are harmful and half benign, each
// label walking its own rows: a data set with more of one label would otherwise push a policy
// that cannot yet tell the labels apart towards refusing everything (or nothing).
import type { PromptRow } from '../data/schema.ts';
import { seededRandom, shuffled } from '../util/random.ts';

export function promptsForStep(rows: readonly PromptRow[], promptsPerStep: number, seed: number, step: number, balanceLabels = false): PromptRow[] {
  if (rows.length === 0) throw new RangeError('there are no training prompts');
  const harmful = rows.filter((r) => r.label === 'harmful');
  const benign = rows.filter((r) => r.label === 'benign');
  if (!balanceLabels || harmful.length === 0 || benign.length === 0) return walk(rows, promptsPerStep, seed, step);
  const fromHarmful = walk(harmful, Math.ceil(promptsPerStep / 2), seed, step);
  const fromBenign = walk(benign, Math.floor(promptsPerStep / 2), (seed ^ 0x5bd1e995) >>> 0, step);
  return fromHarmful.flatMap((row, i) => (fromBenign[i] ? [row, fromBenign[i]] : [row]));
}

/** Step `step`'s `count` rows of the seeded, per-epoch reshuffled order of `rows`. */
function walk(rows: readonly PromptRow[], count: number, seed: number, step: number): PromptRow[] {
  const out: PromptRow[] = [];
  const start = (step - 1) * count;
  for (let k = start; k < start + count; k++) {
    const epoch = Math.floor(k / rows.length);
    out.push(epochOrder(rows, seed, epoch)[k % rows.length]!);
  }
  return out;
}

function epochOrder(rows: readonly PromptRow[], seed: number, epoch: number): PromptRow[] {
  return shuffled(rows, seededRandom((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0));
}
