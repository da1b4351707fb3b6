// The metrics of one RL step, under DESIGN.md §1's names (TRL's where TRL has one), so the charts,
// metrics.jsonl and the CSV export speak the names people already plot. The rollout-side metrics
// come from the completions alone (rolloutMetrics); the trainer adds the optimisation-side ones.
import type { Label } from '../data/schema.ts';
import { fracRewardZeroStd } from './advantages.ts';
import { DEFAULT_RL_CONFIG, type RlConfig } from './config.ts';
import { groupMean, groupStd, type CompletionReward } from './rewards.ts';

export interface StepMetrics {
  /** The optimisation step these numbers belong to, 1-based. */
  step: number;
  /** Mean total reward R over the step's completions. */
  reward: number;
  /** Mean over prompts of the (unbiased) std of R within each prompt's group, as TRL logs it. */
  reward_std: number;
  /** Mean R_s over all completions. */
  'rewards/safety': number;
  /** Mean R_h over all completions (harmful ones count 0), so reward = rewards/safety + w_h · rewards/helpfulness. */
  'rewards/helpfulness': number;
  /** Fraction of completions to harmful prompts that V_r calls refusals (higher is safer); null with no harmful prompt in the step. */
  'refusal_rate/harmful': number | null;
  /** Fraction of completions to benign prompts that V_r calls refusals (lower is better); null with no benign prompt in the step. */
  'over_refusal_rate/benign': number | null;
  /** Fraction of completions that pass V_f. */
  format_rate: number;
  /** Mean per-token k3 estimate of KL(policy ‖ reference) over completion tokens; null when no reference pass runs (beta 0). */
  kl: number | null;
  /** Mean per-token entropy of the policy over completion tokens, in nats. */
  entropy: number;
  /** Fraction of completion tokens whose probability ratio was clipped (either side). */
  clip_ratio: number;
  /** Mean completion length in tokens. */
  'completions/mean_length': number;
  /** Fraction of completions cut at max_completion_length before EOS or a stop string. */
  'completions/clipped_ratio': number;
  /** Fraction of prompts whose n rewards are all equal: they give no group-relative signal. */
  frac_reward_zero_std: number;
  /** Global gradient norm before clipping, at the step's last optimiser update. */
  grad_norm: number;
  /**
   * Why the step learned nothing (noLearningSignal), null when it learned: 'equal_rewards' when
   * every group's rewards are equal (frac_reward_zero_std 1 with a group-relative estimator, so
   * every advantage is 0), 'zero_grad_norm' when the gradient is 0 for another reason. Absent
   * from runs recorded before the lab logged it.
   */
  no_learning_signal: NoLearningSignal | null;
  /** The learning rate of the step's updates (scheduledLearningRate). */
  learning_rate: number;
  /** Tokens of the step's sequences, prompt and completion, per second of step_time_s. */
  tokens_per_second: number;
  /** Wall time of the whole step (rollouts, rewards, update), in seconds. */
  step_time_s: number;
}

export type MetricName = keyof StepMetrics;

/** Every metric, in the stable order of the CSV columns: step, then rewards and rates, then optimisation, then speed. */
export const METRIC_NAMES = [
  'step',
  'reward',
  'reward_std',
  'rewards/safety',
  'rewards/helpfulness',
  'refusal_rate/harmful',
  'over_refusal_rate/benign',
  'format_rate',
  'kl',
  'entropy',
  'clip_ratio',
  'completions/mean_length',
  'completions/clipped_ratio',
  'frac_reward_zero_std',
  'grad_norm',
  'no_learning_signal',
  'learning_rate',
  'tokens_per_second',
  'step_time_s',
] as const satisfies readonly MetricName[];

/** What the completions alone determine. */
export type RolloutMetrics = Pick<
  StepMetrics,
  | 'reward'
  | 'reward_std'
  | 'rewards/safety'
  | 'rewards/helpfulness'
  | 'refusal_rate/harmful'
  | 'over_refusal_rate/benign'
  | 'format_rate'
  | 'completions/mean_length'
  | 'completions/clipped_ratio'
  | 'frac_reward_zero_std'
>;

/** Why a step learned nothing; see StepMetrics.no_learning_signal. */
export type NoLearningSignal = 'equal_rewards' | 'zero_grad_norm';

/**
 * Whether a step gave the policy nothing to learn from. groupRelative: the advantages are the
 * rewards less their group's baseline (isGroupEstimator), so equal rewards in every group give
 * every completion advantage 0; with gae a value baseline can still tell equal rewards apart.
 */
export function noLearningSignal(m: Pick<StepMetrics, 'frac_reward_zero_std' | 'grad_norm'>, groupRelative: boolean): NoLearningSignal | null {
  if (groupRelative && m.frac_reward_zero_std === 1) return 'equal_rewards';
  return m.grad_norm === 0 ? 'zero_grad_norm' : null;
}

/** The steps of a history that learned nothing (the run card counts them; the charts mark them). */
export function stepsWithoutLearningSignal(history: readonly Pick<StepMetrics, 'step' | 'no_learning_signal'>[]): number[] {
  // A history recorded before the field existed lacks it: those steps are not counted.
  return history.filter((m) => typeof m.no_learning_signal === 'string').map((m) => m.step);
}

/** The settings the causes of a step without learning signal are weighed against. */
export type LearningSignalSettings = Pick<RlConfig, 'num_generations' | 'temperature' | 'max_completion_length'>;

const percent = (x: number) => `${Math.round(100 * x)}%`;

/**
 * The likely causes of a step without learning signal, picked by the step's own metrics and the
 * run's settings, most likely first. The settings are compared with the defaults (TRL's and the
 * paper's: 8 completions per prompt, temperature 1), not with a threshold fitted to any run.
 */
export function noLearningSignalCauses(m: StepMetrics, settings: LearningSignalSettings): string[] {
  if (m.no_learning_signal === 'zero_grad_norm') {
    return ['the rewards differ but no trainable weight gets a gradient from the loss: check which weights train (finetune, LoRA targets)'];
  }
  const causes: string[] = [];
  const clipped = m['completions/clipped_ratio'];
  // A completion cut before its closing tag fails the format and reads alike to the rules; with
  // most of the step cut, that is the first thing to fix.
  if (clipped >= 0.5) causes.push(`completions cut at max_completion_length (${settings.max_completion_length} tokens): ${percent(clipped)} were; raise it`);
  const rates = [
    `format ${percent(m.format_rate)}`,
    ...(m['refusal_rate/harmful'] === null ? [] : [`refusal ${percent(m['refusal_rate/harmful'])}`]),
    ...(m['over_refusal_rate/benign'] === null ? [] : [`over-refusal ${percent(m['over_refusal_rate/benign'])}`]),
  ];
  causes.push(`rules that judge every answer of a prompt alike (${rates.join(', ')}): compare the format tags and refusal rules with the Rollouts`);
  if (settings.num_generations < DEFAULT_RL_CONFIG.num_generations) {
    causes.push(`too few completions per prompt (num_generations ${settings.num_generations}; ${DEFAULT_RL_CONFIG.num_generations} make a difference within a group likelier)`);
  }
  if (settings.temperature < DEFAULT_RL_CONFIG.temperature) causes.push(`a low temperature (${settings.temperature}) makes a prompt's completions alike`);
  return causes;
}

/** "no learning signal this step: …; likely causes: …", or null for a step that learned. */
export function noLearningSignalNote(m: StepMetrics, settings: LearningSignalSettings): string | null {
  const why = noLearningSignalReasons(m, settings);
  return why === null ? null : `no learning signal this step: ${why}`;
}

/** What noLearningSignalNote says after its heading: what was seen, and the likely causes. */
export function noLearningSignalReasons(m: StepMetrics, settings: LearningSignalSettings): string | null {
  if (!m.no_learning_signal) return null;
  const what = m.no_learning_signal === 'equal_rewards' ? "every prompt's completions got equal rewards (frac_reward_zero_std 1)" : 'the gradient norm is 0';
  return `${what}; likely causes: ${noLearningSignalCauses(m, settings).join('; ')}`;
}

/** What the trainer measures during the update and adds. */
export type OptimisationMetrics = Omit<StepMetrics, keyof RolloutMetrics>;

/** One completion as the metrics see it. */
export interface CompletionRecord {
  /** The label of the prompt it answers. */
  label: Label;
  /** V_f. */
  formatScore: 0 | 1;
  /** V_r. */
  refusalScore: 0 | 1;
  /** Its rewards (rewards.ts). */
  reward: CompletionReward;
  /** Completion tokens generated, the end token included. */
  length: number;
  /** Whether it was cut at max_completion_length rather than ending by itself. */
  clipped: boolean;
}

/** The mean of `value` over the records `keep` selects; null when it selects none. */
function rateOver(records: readonly CompletionRecord[], keep: (r: CompletionRecord) => boolean, value: (r: CompletionRecord) => number): number | null {
  const kept = records.filter(keep);
  return kept.length === 0 ? null : groupMean(kept.map(value));
}

/** The rollout-side metrics of a step's completions, laid out prompt by prompt, n each. */
export function rolloutMetrics(completions: readonly CompletionRecord[], n: number): RolloutMetrics {
  if (completions.length === 0 || completions.length % n !== 0) {
    throw new RangeError(`${completions.length} completions do not make whole groups of ${n}`);
  }
  const totals = completions.map((c) => c.reward.total);
  const groupStds: number[] = [];
  for (let start = 0; start < totals.length; start += n) groupStds.push(groupStd(totals.slice(start, start + n)));
  return {
    reward: groupMean(totals),
    reward_std: groupMean(groupStds),
    'rewards/safety': groupMean(completions.map((c) => c.reward.safety)),
    'rewards/helpfulness': groupMean(completions.map((c) => c.reward.helpfulness)),
    'refusal_rate/harmful': rateOver(completions, (c) => c.label === 'harmful', (c) => c.refusalScore),
    'over_refusal_rate/benign': rateOver(completions, (c) => c.label === 'benign', (c) => c.refusalScore),
    format_rate: groupMean(completions.map((c) => c.formatScore)),
    'completions/mean_length': groupMean(completions.map((c) => c.length)),
    'completions/clipped_ratio': groupMean(completions.map((c) => (c.clipped ? 1 : 0))),
    frac_reward_zero_std: fracRewardZeroStd(totals, n),
  };
}

/**
 * A metrics history as CSV: a header of METRIC_NAMES, then one row per step. Numbers are written
 * as JavaScript prints them (they read back exactly); null is an empty cell.
 */
export function metricsCsv(history: readonly StepMetrics[]): string {
  const lines = [METRIC_NAMES.join(',')];
  for (const metrics of history) lines.push(METRIC_NAMES.map((name) => (metrics[name] === null ? '' : String(metrics[name]))).join(','));
  return `${lines.join('\n')}\n`;
}
