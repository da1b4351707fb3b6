// What the policy sees: the AlphaAlign template around the user's prompt, as the user turn of
// the model's own chat template, tokenized. Rollouts and evaluation both start here.
import type { TextTokenizer } from '../model/tokenizer.ts';
import { renderTemplate } from './template.ts';

export function promptIds(tokenizer: TextTokenizer, template: string, prompt: string): number[] {
  return tokenizer.encode(tokenizer.applyChatTemplate([{ role: 'user', content: renderTemplate(template, prompt) }]));
}

/**
 * Indices of items grouped by their prompt length, each group cut into batches of at most
 * `batch`: the generator decodes sequences of one length together (they share one position).
 */
export function batchesByLength(lengths: readonly number[], batch: number): number[][] {
  const byLength = new Map<number, number[]>();
  lengths.forEach((length, i) => byLength.set(length, [...(byLength.get(length) ?? []), i]));
  const batches: number[][] = [];
  for (const [, indices] of [...byLength].sort(([a], [b]) => a - b)) {
    for (let i = 0; i < indices.length; i += batch) batches.push(indices.slice(i, i + batch));
  }
  return batches;
}
