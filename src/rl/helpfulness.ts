// Helpfulness scores of a benign answer against the row's reference answer: word-level F1 (as
// SQuAD scores answers) or ROUGE-L's F-measure (longest common subsequence). Cheap, verifiable
// stand-ins for a reward model; the group z-normalisation in rewards.ts makes their scale moot.

/** Lower-cased words and numbers: punctuation and spacing do not count. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function tokenF1(answer: string, reference: string): number {
  const a = words(answer);
  const r = words(reference);
  if (a.length === 0 || r.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of r) counts.set(w, (counts.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of a) {
    const left = counts.get(w) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(w, left - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / a.length;
  const recall = overlap / r.length;
  return (2 * precision * recall) / (precision + recall);
}

export function rougeL(answer: string, reference: string): number {
  const a = words(answer);
  const r = words(reference);
  if (a.length === 0 || r.length === 0) return 0;
  // Longest common subsequence, one row at a time.
  let previous = new Array<number>(r.length + 1).fill(0);
  for (const wa of a) {
    const current = new Array<number>(r.length + 1).fill(0);
    for (let j = 1; j <= r.length; j++) current[j] = wa === r[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    previous = current;
  }
  const lcs = previous[r.length]!;
  if (lcs === 0) return 0;
  const precision = lcs / a.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

export type OverlapMetric = 'f1' | 'rougeL';

export function overlapScore(metric: OverlapMetric, answer: string, reference: string): number {
  return metric === 'f1' ? tokenF1(answer, reference) : rougeL(answer, reference);
}
