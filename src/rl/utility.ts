// Utility: how useful the greedy answers to held-out benign prompts are, scored as the helpfulness
// reward scores them (helpfulness.ts): overlap with the row's reference answer by token F1 and
// ROUGE-L, and, when the user gives one, an ONNX reward model's mean score. AlphaAlign claims it
// keeps "or even improves general task performance"; these figures, before and after, are how the
// lab checks that. Only benign rows with a reference are scored, and what is scored is what the
// user would see: the answer part when the format holds, the whole text otherwise (a refusal
// scores what it scores: over-refusal costs utility, as it costs the user).
import type { PromptRow } from '../data/schema.ts';
import { rougeL, tokenF1 } from './helpfulness.ts';
import type { HelpfulnessModel } from './trainer.ts';
import type { CompletionVerdict } from './verifiers.ts';

export interface UtilityScores {
  /** Benign prompts with a reference answer. */
  n: number;
  token_f1: number;
  rouge_l: number;
  /** The reward model's mean score, when one was given. */
  reward_model?: number;
}

export interface UtilityReport extends UtilityScores {
  by_type: Record<string, UtilityScores>;
}

/** A completion as utility reads it: its row, its text and its verdict. */
interface ScoredCompletion {
  row: PromptRow;
  text: string;
  verdict: CompletionVerdict;
}

/** What the user would see of a completion: the answer when the format holds, the whole text otherwise. */
const shown = (c: ScoredCompletion) => (c.verdict.formatScore === 1 ? c.verdict.format.answer! : c.text);

function scores(group: readonly ScoredCompletion[], rewards: ReadonlyMap<ScoredCompletion, number> | null): UtilityScores {
  const mean = (f: (c: ScoredCompletion) => number) => group.reduce((s, c) => s + f(c), 0) / group.length;
  return {
    n: group.length,
    token_f1: mean((c) => tokenF1(shown(c), c.row.reference!)),
    rouge_l: mean((c) => rougeL(shown(c), c.row.reference!)),
    ...(rewards ? { reward_model: mean((c) => rewards.get(c)!) } : {}),
  };
}

/** Utility overall and per type; null when no benign row has a reference. */
export async function summarizeUtility(completions: readonly ScoredCompletion[], rewardModel?: HelpfulnessModel): Promise<UtilityReport | null> {
  const scored = completions.filter((c) => c.row.label === 'benign' && c.row.reference);
  if (scored.length === 0) return null;
  let rewards: Map<ScoredCompletion, number> | null = null;
  if (rewardModel) {
    rewards = new Map();
    // One at a time: the reward model's session runs one sequence per call.
    for (const c of scored) rewards.set(c, await rewardModel.score(c.row.prompt, shown(c)));
  }
  const types = new Map<string, ScoredCompletion[]>();
  for (const c of scored) {
    const key = c.row.type ?? c.row.label;
    types.set(key, [...(types.get(key) ?? []), c]);
  }
  const byType: Record<string, UtilityScores> = {};
  for (const [type, group] of [...types].sort(([a], [b]) => a.localeCompare(b))) byType[type] = scores(group, rewards);
  return { ...scores(scored, rewards), by_type: byType };
}
