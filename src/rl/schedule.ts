// Which prompts each step trains on: the training rows in a seeded order, reshuffled every epoch,
// prompts_per_step at a time. A function of the step alone, so a resumed run continues exactly.
import type { PromptRow } from '../data/schema.ts';
import { seededRandom, shuffled } from '../util/random.ts';

export function promptsForStep(rows: readonly PromptRow[], promptsPerStep: number, seed: number, step: number): PromptRow[] {
  if (rows.length === 0) throw new RangeError('there are no training prompts');
  const out: PromptRow[] = [];
  const start = (step - 1) * promptsPerStep;
  for (let k = start; k < start + promptsPerStep; k++) {
    const epoch = Math.floor(k / rows.length);
    out.push(epochOrder(rows, seed, epoch)[k % rows.length]!);
  }
  return out;
}

function epochOrder(rows: readonly PromptRow[], seed: number, epoch: number): PromptRow[] {
  return shuffled(rows, seededRandom((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0));
}
