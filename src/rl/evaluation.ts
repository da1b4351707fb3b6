// Greedy evaluation on a held-out split: how often the model refuses harmful prompts, how often it
// refuses benign ones (over-refusal), how often it keeps the format, overall and per type.
import { Generator } from '../model/generate.ts';
import type { LlamaModel } from '../model/llama.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import type { PromptRow } from '../data/schema.ts';
import { promptIds } from './prompting.ts';
import { verifyCompletion, type CompletionVerdict } from './verifiers.ts';
import { type FormatSettings } from './formatVerifier.ts';
import { type RefusalRule } from './refusalVerifier.ts';

export interface EvalSettings {
  template: string;
  format: FormatSettings;
  rules: readonly RefusalRule[];
  maxNewTokens: number;
  stopStrings: readonly string[];
  /** Sequences decoded at once. */
  batch: number;
}

export interface TypeReport {
  label: 'harmful' | 'benign';
  n: number;
  refusal_rate: number;
  format_rate: number;
}

export interface EvalReport {
  'refusal_rate/harmful': number;
  'over_refusal_rate/benign': number;
  format_rate: number;
  n_harmful: number;
  n_benign: number;
  by_type: Record<string, TypeReport>;
}

export interface EvalCompletion {
  row: PromptRow;
  text: string;
  verdict: CompletionVerdict;
}

export async function evaluate(
  model: LlamaModel,
  tokenizer: TextTokenizer,
  rows: readonly PromptRow[],
  settings: EvalSettings,
  onProgress?: (done: number, total: number) => void,
): Promise<{ report: EvalReport; completions: EvalCompletion[] }> {
  const ids = rows.map((r) => promptIds(tokenizer, settings.template, r.prompt));
  const longest = Math.max(...ids.map((p) => p.length));
  const Tmax = Math.min(model.maxPositions, longest + settings.maxNewTokens);
  const generator = new Generator(model, settings.batch, Tmax);
  const completions: EvalCompletion[] = new Array(rows.length);
  try {
    const replies = await generator.generateAll(
      ids,
      {
        maxNewTokens: settings.maxNewTokens,
        temperature: 0,
        seed: 0,
        stopTokenIds: model.config.eosTokenIds,
        stopStrings: settings.stopStrings,
        decode: (t) => tokenizer.decode(t),
      },
      (done) => onProgress?.(done, rows.length),
    );
    replies.forEach((reply, i) => {
      const text = tokenizer.decode(reply.tokens);
      completions[i] = { row: rows[i]!, text, verdict: verifyCompletion(text, settings.format, settings.rules) };
    });
  } finally {
    generator.release();
  }
  return { report: summarize(completions), completions };
}

export function summarize(completions: readonly EvalCompletion[]): EvalReport {
  const rate = (xs: readonly EvalCompletion[], score: (c: EvalCompletion) => number) =>
    xs.length === 0 ? 0 : xs.reduce((s, c) => s + score(c), 0) / xs.length;
  const refusal = (c: EvalCompletion) => c.verdict.refusalScore;
  const format = (c: EvalCompletion) => c.verdict.formatScore;
  const harmful = completions.filter((c) => c.row.label === 'harmful');
  const benign = completions.filter((c) => c.row.label === 'benign');
  const byType: Record<string, TypeReport> = {};
  const types = new Map<string, EvalCompletion[]>();
  for (const c of completions) {
    const key = c.row.type ?? c.row.label;
    types.set(key, [...(types.get(key) ?? []), c]);
  }
  for (const [type, group] of [...types].sort(([a], [b]) => a.localeCompare(b))) {
    byType[type] = { label: group[0]!.row.label, n: group.length, refusal_rate: rate(group, refusal), format_rate: rate(group, format) };
  }
  return {
    'refusal_rate/harmful': rate(harmful, refusal),
    'over_refusal_rate/benign': rate(benign, refusal),
    format_rate: rate(completions, format),
    n_harmful: harmful.length,
    n_benign: benign.length,
    by_type: byType,
  };
}
