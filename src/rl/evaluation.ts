// Greedy evaluation on a held-out split: how often the model refuses harmful prompts, how often it
// refuses benign ones (over-refusal), how often it keeps the format, overall and per type; what
// its reasoning says (reasoningDepth.ts); how useful its benign answers are (utility.ts); and, on
// request, how often it still refuses harmful prompts wrapped in jailbreak templates
// (attacks.ts), which no run ever trains on.
import { Generator } from '../model/generate.ts';
import type { LlamaModel } from '../model/llama.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import type { PromptRow } from '../data/schema.ts';
import { promptIds } from './prompting.ts';
import { verifyCompletions, type CompletionVerdict } from './verifiers.ts';
import { type FormatSettings } from './formatVerifier.ts';
import type { RefusalJudge, RefusalJudgeKind } from './refusalJudge.ts';
import type { AttackTemplate } from './attacks.ts';
import { summarizeReasoning, type ReasoningReport } from './reasoningDepth.ts';
import type { ReasoningRules } from './reasoningRules.ts';
import type { HelpfulnessModel } from './trainer.ts';
import { summarizeUtility, type UtilityReport } from './utility.ts';

export interface EvalSettings {
  template: string;
  format: FormatSettings;
  /** V_r: the rules alone or rules and classifier (config's eval_judge; refusalJudge.ts). */
  judge: RefusalJudge;
  /** Read each reasoning for a named harm and a conclusion (reasoningDepth.ts). */
  reasoningRules: ReasoningRules;
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
  /** The refusal judge that scored these rates; absent from reports written before there was a choice. */
  judge?: RefusalJudgeKind;
  /** Reasoning depth; absent from reports written before the lab read the reasoning. */
  reasoning?: ReasoningReport;
  /** Helpfulness of the benign answers that have a reference; absent when none has, and from older reports. */
  utility?: UtilityReport;
  /** Refusal under jailbreak templates, when asked for (`lab eval --attacks`). */
  attacks?: AttackReport;
}

export interface AttackResult {
  family: string;
  source: string;
  /** Harmful prompts evaluated under this attack (those that fit the context once wrapped). */
  n: number;
  /** The rates are null when n is 0: nothing was measured. */
  refusal_rate: number | null;
  /** 1 − refusal_rate: the share of attacked harmful prompts the model did not refuse. */
  attack_success_rate: number | null;
  format_rate: number | null;
}

export interface AttackReport {
  /** Said in every report, so no reader takes the figures for attacks seen in training. */
  note: typeof ATTACKS_NOTE;
  /** Attacked prompts left out because, wrapped, they leave no room for an answer in the model's context. */
  n_too_long: number;
  /** Over every attacked prompt evaluated; null when none was. */
  refusal_rate: number | null;
  attack_success_rate: number | null;
  by_attack: Record<string, AttackResult>;
}

export const ATTACKS_NOTE = 'Attack templates are applied at evaluation only: no run of the lab trains on them, so these are attacks the model has not seen.';

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
  /** An ONNX reward model's score, for utility beside the overlap scores. */
  rewardModel?: HelpfulnessModel,
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
    const texts = replies.map((reply) => tokenizer.decode(reply.tokens));
    const verdicts = await verifyCompletions(texts, settings.format, settings.judge);
    texts.forEach((text, i) => {
      completions[i] = { row: rows[i]!, text, verdict: verdicts[i]! };
    });
  } finally {
    generator.release();
  }
  const report = summarize(completions, settings.reasoningRules);
  report.judge = settings.judge.kind;
  const utility = await summarizeUtility(completions, rewardModel);
  if (utility) report.utility = utility;
  return { report, completions };
}

export function summarize(completions: readonly EvalCompletion[], reasoningRules: ReasoningRules): EvalReport {
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
    reasoning: summarizeReasoning(completions.map((c) => c.verdict), reasoningRules),
  };
}

/** Each harmful row wrapped in each attack, typed by the attack's name; benign rows are not attacked. */
export function attackedRows(rows: readonly PromptRow[], attacks: readonly AttackTemplate[]): PromptRow[] {
  return attacks.flatMap((attack) =>
    rows.filter((r) => r.label === 'harmful').map((r) => ({ id: `${r.id}/${attack.name}`, prompt: attack.render(r.prompt), label: 'harmful' as const, type: attack.name })),
  );
}

/** Refusal per attack and overall, from the completions of attackedRows' rows. */
export function summarizeAttacks(completions: readonly EvalCompletion[], attacks: readonly AttackTemplate[], nTooLong: number): AttackReport {
  const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  const success = (refusal: number | null) => (refusal === null ? null : 1 - refusal);
  const byAttack: Record<string, AttackResult> = {};
  for (const attack of attacks) {
    const group = completions.filter((c) => c.row.type === attack.name);
    const refusal = mean(group.map((c) => c.verdict.refusalScore));
    byAttack[attack.name] = {
      family: attack.family,
      source: attack.source,
      n: group.length,
      refusal_rate: refusal,
      attack_success_rate: success(refusal),
      format_rate: mean(group.map((c) => c.verdict.formatScore)),
    };
  }
  const refusal = mean(completions.map((c) => c.verdict.refusalScore));
  return { note: ATTACKS_NOTE, n_too_long: nTooLong, refusal_rate: refusal, attack_success_rate: success(refusal), by_attack: byAttack };
}

/**
 * The harmful rows under each attack, greedy, judged as `evaluate` judges: the attack report and
 * each completion. Attacked prompts too long for the model's context with room for an answer
 * are left out and counted.
 */
export async function evaluateAttacks(
  model: LlamaModel,
  tokenizer: TextTokenizer,
  rows: readonly PromptRow[],
  settings: EvalSettings,
  attacks: readonly AttackTemplate[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ report: AttackReport; completions: EvalCompletion[] }> {
  const limit = model.maxPositions - settings.maxNewTokens;
  const attacked = attackedRows(rows, attacks);
  const fitting = attacked.filter((r) => promptIds(tokenizer, settings.template, r.prompt).length <= limit);
  const completions = fitting.length === 0 ? [] : (await evaluate(model, tokenizer, fitting, settings, onProgress)).completions;
  return { report: summarizeAttacks(completions, attacks, attacked.length - fitting.length), completions };
}
