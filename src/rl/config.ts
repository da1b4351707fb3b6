// The one settings object of an AlphaAlign RL run: rollouts, the PPO-clipped update, the
// optimiser and its schedule, the rewards and the fine-tuning mode. It is JSON on disk (the CLI's
// --config, alphaalign_run.json) and in the page. Names are TRL's GRPOConfig / PPOConfig names
// where the meaning matches (STYLE.md 11); every field is declared once, below, with its range,
// its default and a one-line doc comment. A missing key takes its default; an unknown key, a
// value out of range or a combination that cannot work is refused, and parseRlConfig reports
// every problem at once, each with its key path and what to change.
//
// The paper (arXiv 2507.14987) ran veRL's PPO with a critic on 3B-8B models: actor lr 1e-6, 8
// rollouts per prompt, 16 prompts per step, under 200 steps. The defaults here are for small
// models in a browser tab; where they differ from the paper, the field's comment says so.
import { z } from 'zod';
import { ADVANTAGE_ESTIMATORS, isGroupEstimator } from './advantages.ts';
import { DEFAULT_TEMPLATE, templateProblem } from './template.ts';
import { DEFAULT_FORMAT_SETTINGS, formatSettingsProblems } from './formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from './refusalRules.ts';
import { REFUSAL_RULE_KINDS, refusalRuleProblems } from './refusalVerifier.ts';
import { REFUSAL_JUDGE_KINDS } from './refusalJudge.ts';
import { reasoningRuleProblems } from './reasoningDepth.ts';
import { DEFAULT_REASONING_RULES } from './reasoningRules.ts';
import { checkLoraSettings, DEFAULT_LORA, LORA_TARGETS } from '../model/lora.ts';

export const LR_SCHEDULER_TYPES = ['constant', 'linear', 'cosine'] as const;
export const OVERLAP_METRICS = ['f1', 'rougeL'] as const;

/** A JSON object whose kind picks its other keys; a bad kind names the kinds there are. */
function kindUnion<const Options extends readonly [z.ZodObject, ...z.ZodObject[]]>(options: Options, kinds: readonly string[]) {
  return z.discriminatedUnion('kind', options, {
    error: (issue) => {
      const expected = kinds.map((k) => JSON.stringify(k)).join(', ');
      // zod reports a missing or unknown kind at the kind key, anything but an object at the union's own key.
      if (!issue.input || typeof issue.input !== 'object' || Array.isArray(issue.input)) {
        return `must be an object such as {"kind": ${JSON.stringify(kinds[0])}}, not ${show(issue.input)}`;
      }
      const kind = (issue.input as { kind?: unknown }).kind;
      return kind === undefined ? `is required: one of ${expected}` : `must be one of ${expected}, not ${show(kind)}`;
    },
  });
}

const formatSchema = z.strictObject({
  /** string, default "safety_reasoning": the tag the reasoning goes in, without < >. */
  reasoningTag: z.string().default(DEFAULT_FORMAT_SETTINGS.reasoningTag),
  /** string, default "answer": the tag the answer goes in, without < >. */
  answerTag: z.string().default(DEFAULT_FORMAT_SETTINGS.answerTag),
  /** boolean, default false: whether an empty reasoning pair still passes V_f (DESIGN.md §1: it does not). */
  allowEmptyReasoning: z.boolean().default(DEFAULT_FORMAT_SETTINGS.allowEmptyReasoning),
});

const refusalRuleSchema = z.strictObject({
  /** string: the text (or, for kind regex, the JavaScript regular expression) that marks a refusal. */
  pattern: z.string(),
  /** "prefix" | "contains" | "regex": where the pattern must match (verifiers.ts). */
  kind: z.enum(REFUSAL_RULE_KINDS),
  /** boolean, default false: whether case must match. */
  caseSensitive: z.boolean().default(false),
});

const helpfulnessScorerSchema = kindUnion(
  [
    /** No helpfulness reward: the paper's AlphaAlign-Zero. */
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('overlap'),
      /** "f1" | "rougeL", default "f1": token F1 or ROUGE-L against the row's reference answer. */
      metric: z.enum(OVERLAP_METRICS).default('f1'),
    }),
    /** A reward model run by onnxruntime-web; its .onnx and tokenizer.json are supplied beside the config, not in it. */
    z.strictObject({ kind: z.literal('onnx') }),
  ],
  ['none', 'overlap', 'onnx'],
);

const finetuneSchema = kindUnion(
  [
    /** Every weight trains; a KL term (beta > 0) then needs a frozen copy of the weights. */
    z.strictObject({ kind: z.literal('full') }),
    z.strictObject({
      kind: z.literal('lora'),
      /** integer 1..512, default 8: the adapters' rank r. */
      rank: z.number().int().default(DEFAULT_LORA.rank),
      /** number > 0, default 16: the adapters' scale is alpha / rank. */
      alpha: z.number().default(DEFAULT_LORA.alpha),
      /** list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, default all seven: the projections that get adapters. */
      targets: z.array(z.enum(LORA_TARGETS)).default(() => [...DEFAULT_LORA.targets]),
      /** number in [0, 1), default 0: PEFT's lora_dropout on each adapter's input while training. */
      dropout: z.number().default(DEFAULT_LORA.dropout),
    }),
  ],
  ['full', 'lora'],
);

const rlConfigShape = {
  // ----------------------------------------------------------------------------- rollouts
  /** integer ≥ 1, default 8: completions sampled per prompt, the group of the group estimators (TRL; the paper: 8). */
  num_generations: z.number().int().min(1).default(8),
  /** integer ≥ 1, default 8: prompts per optimisation step (the paper: 16; 8 keeps a browser step short). */
  prompts_per_step: z.number().int().min(1).default(8),
  /** boolean, default false: half of each step's prompts harmful and half benign, whatever the data's mix (schedule.ts). */
  balance_labels: z.boolean().default(false),
  /** integer ≥ 1, default 32: completions sampled at once, in rollouts and in evaluation; prompts of different lengths share a batch (TRL). */
  generation_batch_size: z.number().int().min(1).default(32),
  /** number > 0, default 1.0: sampling temperature of the rollouts (TRL; the paper: 1.0). Evaluation is greedy. */
  temperature: z.number().gt(0).default(1.0),
  /** number in (0, 1], default 1.0: nucleus sampling mass; 1 turns it off (TRL). */
  top_p: z.number().gt(0).max(1).default(1.0),
  /** integer ≥ 0, default 0: sample among the k likeliest tokens; 0 turns it off (TRL). */
  top_k: z.number().int().min(0).default(0),
  /** integer ≥ 1, default 128: new tokens per completion at most; longer ones are cut and count as clipped (TRL). */
  max_completion_length: z.number().int().min(1).default(128),
  /** list of non-empty strings, default ["</answer>"]: a completion also ends right after any of these (TRL's generation stop strings); EOS always ends it. */
  stop_strings: z.array(z.string().min(1)).default(() => ['</answer>']),

  // ------------------------------------------------------------------ the PPO-clipped update
  /** number > 0, default 1e-5: peak AdamW learning rate (TRL; the paper: 1e-6 for 3B-8B models; LoRA usually wants about 1e-4). */
  learning_rate: z.number().gt(0).default(1e-5),
  /** number ≥ 0, default 0: coefficient of the k3 KL estimate to the reference policy in the loss; 0 skips the reference pass (TRL). */
  beta: z.number().min(0).default(0),
  /** number in [0, 1), default 0.2: the ratio is clipped below at 1 − epsilon (TRL; PPO's ε). */
  epsilon: z.number().min(0).lt(1).default(0.2),
  /** number ≥ 0, default 0.2: the ratio is clipped above at 1 + epsilon_high; above epsilon is DAPO's clip-higher (TRL). */
  epsilon_high: z.number().min(0).default(0.2),
  /** integer ≥ 1, default 1: passes of the update over each batch of rollouts, PPO epochs (TRL). */
  num_iterations: z.number().int().min(1).default(1),
  /** "grpo" | "rloo" | "reinforce_pp_baseline" | "gae", default "grpo": how advantages are estimated (advantages.ts; the paper: gae with a critic). */
  advantage_estimator: z.enum(ADVANTAGE_ESTIMATORS).default('grpo'),
  /** boolean, default true: grpo divides by the group std (TRL's scale_rewards "group"); false keeps r − mean (TRL's "none", Dr. GRPO). */
  scale_rewards: z
    .boolean({ error: (issue) => `must be true (TRL's "group") or false (TRL's "none"), not ${show(issue.input)}; for TRL's "batch" choose the reinforce_pp_baseline estimator` })
    .default(true),
  /** number in [0, 1], default 1.0: discount per token, gae only (TRL's PPO; veRL). */
  gamma: z.number().min(0).max(1).default(1.0),
  /** number in [0, 1], default 0.95: GAE's λ, gae only (TRL's PPO; veRL defaults to 1.0). */
  lam: z.number().min(0).max(1).default(0.95),
  /** number ≥ 0, default 0.1: weight of the value loss in the total loss, gae only; the value head learns only through it (TRL's PPO). */
  vf_coef: z.number().min(0).default(0.1),
  /** number > 0, default 0.2: new values are clipped to old ± this in the value loss, gae only (TRL's PPO). */
  cliprange_value: z.number().gt(0).default(0.2),
  /** integer ≥ 1, default 8: sequences per forward and backward; gradients accumulate over the step's prompts_per_step × num_generations sequences (TRL). */
  per_device_train_batch_size: z.number().int().min(1).default(8),

  // -------------------------------------------------------------------------- the optimiser
  /** number > 0, default 1.0: the global gradient norm is clipped to this (TRL; veRL). */
  max_grad_norm: z.number().gt(0).default(1.0),
  /** number ≥ 0, default 0: AdamW's decoupled weight decay (transformers' TrainingArguments). */
  weight_decay: z.number().min(0).default(0),
  /** number in [0, 1), default 0.9: AdamW's β1 (transformers). */
  adam_beta1: z.number().min(0).lt(1).default(0.9),
  /** number in [0, 1), default 0.999: AdamW's β2 (transformers). */
  adam_beta2: z.number().min(0).lt(1).default(0.999),
  /** number > 0, default 1e-8: AdamW's ε (transformers). */
  adam_epsilon: z.number().gt(0).default(1e-8),
  /** "constant" | "linear" | "cosine", default "constant": the learning rate after warm-up, held or decayed to 0 by max_steps (transformers; veRL's actor: constant). */
  lr_scheduler_type: z.enum(LR_SCHEDULER_TYPES).default('constant'),
  /** integer ≥ 0, default 0: steps over which the learning rate rises linearly to learning_rate (transformers). */
  warmup_steps: z.number().int().min(0).default(0),

  // ------------------------------------------------------------------------------- the run
  /** integer ≥ 1, default 100: optimisation steps in the run (transformers; the paper: under 200). */
  max_steps: z.number().int().min(1).default(100),
  /** integer in 0..2³²−1, default 42: seeds prompt order, sampling and initial adapters, so a run replays (transformers). */
  seed: z.number().int().min(0).max(0xffffffff).default(42),
  /** integer ≥ 0, default 10: evaluate on the held-out split every this many steps; 0 turns evaluation during the run off (transformers). */
  eval_steps: z.number().int().min(0).default(10),

  // ------------------------------------------------------------------- AlphaAlign's rewards
  /** string containing {{prompt}}, default the paper's (its Figure 2): the text around each prompt (template.ts). */
  template: z.string().default(DEFAULT_TEMPLATE),
  /** object, default {"reasoningTag": "safety_reasoning", "answerTag": "answer", "allowEmptyReasoning": false}: the format verifier V_f (verifiers.ts). */
  format: formatSchema.default(() => ({ ...DEFAULT_FORMAT_SETTINGS })),
  /** list of {pattern, kind, caseSensitive}, at least one, default DEFAULT_REFUSAL_RULES: the refusal verifier V_r, first match wins (verifiers.ts). */
  refusal_rules: z
    .array(refusalRuleSchema)
    .min(1, { error: 'the list is empty, so no answer would count as a refusal; add rules (or leave the key out for the defaults)' })
    .default(() => DEFAULT_REFUSAL_RULES.map((rule) => ({ ...rule }))),
  /** "rules" | "combined", default "rules": the refusal judge V_r of the reward. "rules" is the rule list alone (the paper's verifier); "combined" lets the shipped classifier decide what no rule settles (refusalJudge.ts; docs/refusal-verifier.md). */
  reward_judge: z.enum(REFUSAL_JUDGE_KINDS).default('rules'),
  /** "rules" | "combined", default "combined": the refusal judge of held-out evaluation (refusal and over-refusal rates), chosen apart from the reward's so a policy that learns to game the rules is still seen (evaluation.ts). */
  eval_judge: z.enum(REFUSAL_JUDGE_KINDS).default('combined'),
  /** {"harm": [rule…], "verdict": [rule with "says": "harmful" | "safe"…]}, default DEFAULT_REASONING_RULES: how evaluation reads each reasoning, for a named harm and for its conclusion; first match wins in each list (reasoningDepth.ts). Never part of the reward. */
  reasoning_rules: z
    .strictObject({ harm: z.array(refusalRuleSchema), verdict: z.array(refusalRuleSchema.extend({ says: z.enum(['harmful', 'safe']) })) })
    .default(() => structuredClone(DEFAULT_REASONING_RULES)),
  /** number ≥ 0, default 1: weight of V_f in the safety reward (DESIGN.md §1; the paper gives none). */
  r_f: z.number().min(0).default(1),
  /** number ≥ 0, default 1: weight of V_r in the safety reward, + for harmful prompts and − for benign ones (DESIGN.md §1; the paper gives none). */
  r_a: z.number().min(0).default(1),
  /** number ≥ 0, default 1: weight of the helpfulness reward in a benign prompt's total (DESIGN.md §1). */
  w_h: z.number().min(0).default(1),
  /** {"kind": "none"} | {"kind": "overlap", "metric": "f1" | "rougeL"} | {"kind": "onnx"}, default none: scores benign answers for the helpfulness reward. */
  helpfulness_scorer: helpfulnessScorerSchema.default(() => ({ kind: 'none' as const })),
  /** {"kind": "full"} | {"kind": "lora", "rank", "alpha", "targets"}, default full: which weights train (lora.ts; PEFT's layout). */
  finetune: finetuneSchema.default(() => ({ kind: 'full' as const })),
};

const rlConfigSchema = z.strictObject(rlConfigShape);

export type RlConfig = z.output<typeof rlConfigSchema>;
export type RlConfigKey = keyof RlConfig;

// ------------------------------------------------------------------------------ invariants

interface Invariant {
  /** The keys the check reads: it runs whenever these parse, even if other keys do not. */
  reads: RlConfigKey[];
  /** Problems as [key path, message]. */
  check(config: RlConfig): [string, string][];
}

/** An invariant over some keys, typed by them. */
function invariant<K extends RlConfigKey>(reads: K[], check: (config: Pick<RlConfig, K>) => [string, string][]): Invariant {
  return { reads, check };
}

const INVARIANTS: Invariant[] = [
  invariant(['num_generations', 'advantage_estimator'], (c) => {
    if (!isGroupEstimator(c.advantage_estimator) || c.num_generations >= 2) return [];
    const baseline = c.advantage_estimator === 'rloo' ? 'the mean of the other completions of its prompt' : 'the group mean';
    return [['num_generations', `must be at least 2 for the ${c.advantage_estimator} estimator (its baseline is ${baseline}); raise it or choose gae`]];
  }),
  invariant(['num_generations', 'helpfulness_scorer'], (c) =>
    c.helpfulness_scorer.kind !== 'none' && c.num_generations < 2
      ? [['helpfulness_scorer', `the ${c.helpfulness_scorer.kind} scorer's scores are z-normalised within a prompt's group, which needs num_generations of at least 2; raise num_generations or use {"kind": "none"}`]]
      : [],
  ),
  invariant(['advantage_estimator', 'vf_coef'], (c) =>
    c.advantage_estimator === 'gae' && c.vf_coef <= 0
      ? [['vf_coef', 'must be greater than 0 for the gae estimator (the value head learns only through the value loss); raise it (TRL uses 0.1) or choose a group estimator']]
      : [],
  ),
  invariant(['per_device_train_batch_size', 'prompts_per_step', 'num_generations'], (c) => {
    const sequences = c.prompts_per_step * c.num_generations;
    if (sequences % c.per_device_train_batch_size === 0) return [];
    const divisors = Array.from({ length: sequences }, (_, i) => i + 1).filter((d) => sequences % d === 0);
    return [[
      'per_device_train_batch_size',
      `${c.per_device_train_batch_size} does not divide the ${sequences} sequences of a step (prompts_per_step ${c.prompts_per_step} × num_generations ${c.num_generations}), so micro-batches would differ in size; choose one of ${divisors.join(', ')}`,
    ]];
  }),
  invariant(['warmup_steps', 'max_steps'], (c) =>
    c.warmup_steps > c.max_steps ? [['warmup_steps', `${c.warmup_steps} is more than max_steps (${c.max_steps}), so the learning rate would never reach learning_rate; lower it`]] : [],
  ),
  invariant(['template'], (c) => {
    const problem = templateProblem(c.template);
    return problem ? [['template', problem]] : [];
  }),
  invariant(['format'], (c) => formatSettingsProblems(c.format).map((problem): [string, string] => ['format', problem])),
  invariant(['refusal_rules'], (c) => refusalRuleProblems(c.refusal_rules).map((problem): [string, string] => ['refusal_rules', problem.message])),
  invariant(['reasoning_rules'], (c) => reasoningRuleProblems(c.reasoning_rules).map((problem): [string, string] => ['reasoning_rules', problem])),
  invariant(['finetune'], (c) => {
    if (c.finetune.kind !== 'lora') return [];
    const problems: [string, string][] = [];
    try {
      checkLoraSettings(c.finetune);
    } catch (error) {
      problems.push(['finetune', (error as Error).message]);
    }
    const repeated = c.finetune.targets.filter((t, i, all) => all.indexOf(t) !== i);
    for (const t of new Set(repeated)) problems.push(['finetune.targets', `${t} is listed more than once; list each module once`]);
    return problems;
  }),
];

// ------------------------------------------------------------------------------- parsing

export class RlConfigError extends Error {
  override name = 'RlConfigError';

  /** Each problem as "key.path: what is wrong and what to change". */
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`the RL config has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A value as a message quotes it. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  string: 'a string',
  array: 'a list [...]',
  object: 'an object {...}',
};

/** Messages for zod's own issues, in the lab's words; custom ones pass through. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const got = `, not ${show(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}${got}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}${got}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}${got}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    default:
      return undefined;
  }
}

/** A zod path as a person writes it: finetune.targets[2]. */
function keyPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

/** Levenshtein distance, for "did you mean" on a mistyped key. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** Names other trainers use for a setting here (TRL's PPOConfig, transformers, veRL). */
const OTHER_NAMES: Record<string, RlConfigKey> = {
  lr: 'learning_rate',
  kl_coef: 'beta',
  init_kl_coef: 'beta',
  cliprange: 'epsilon',
  clip_ratio: 'epsilon',
  num_ppo_epochs: 'num_iterations',
  ppo_epochs: 'num_iterations',
  max_new_tokens: 'max_completion_length',
  response_length: 'max_completion_length',
  rollout_n: 'num_generations',
  n: 'num_generations',
  lora: 'finetune',
};

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  const path = keyPath([...parent, key]);
  if (parent.length === 0) {
    const renamed = Object.hasOwn(OTHER_NAMES, key) ? OTHER_NAMES[key] : undefined;
    if (renamed) return `${path}: not a setting; the lab calls it ${renamed}`;
    const closest = Object.keys(rlConfigShape)
      .map((known) => ({ known, distance: editDistance(key, known) }))
      .sort((a, b) => a.distance - b.distance)[0]!;
    // A third of the key's letters may be wrong: "lerning_rate" is a typo, "lr" is not "lam".
    if (closest.distance <= Math.max(1, Math.floor(key.length / 3))) return `${path}: not a setting; did you mean ${closest.known}?`;
  }
  return `${path}: not a setting here; remove it`;
}

/**
 * The config from parsed JSON: missing keys take their defaults; anything else wrong throws one
 * RlConfigError that lists every problem.
 */
export function parseRlConfig(json: unknown): RlConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new RlConfigError([`the config must be a JSON object {"key": value, ...}, not ${show(json)}`]);
  }
  const problems: string[] = [];
  const parsed = rlConfigSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') problems.push(...issue.keys.map((key) => unknownKeyMessage(issue.path, key)));
      else problems.push(`${keyPath(issue.path) || 'the config'}: ${issue.message}`);
    }
  }
  // Each cross-field check runs when the keys it reads are valid, so one bad key hides no other problem.
  for (const { reads, check } of INVARIANTS) {
    const picked = z.object(Object.fromEntries(reads.map((key) => [key, rlConfigShape[key]]))).safeParse(json);
    if (picked.success) problems.push(...check(picked.data as RlConfig).map(([path, message]) => `${path}: ${message}`));
  }
  if (problems.length > 0) throw new RlConfigError(problems);
  return parsed.data!;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Every key at its default; frozen: copy it to change it. */
export const DEFAULT_RL_CONFIG: Readonly<RlConfig> = deepFreeze(parseRlConfig({}));

/**
 * The learning rate of optimisation step `step` (1, 2, ..., max_steps): a linear warm-up to
 * learning_rate over warmup_steps, then constant, or a linear or cosine decay that would reach 0
 * at max_steps. The decay is transformers' get_{linear,cosine}_schedule_with_warmup; the warm-up
 * is one step ahead of it (step 1 runs at learning_rate / warmup_steps, not at 0).
 */
export function scheduledLearningRate(config: Pick<RlConfig, 'learning_rate' | 'lr_scheduler_type' | 'warmup_steps' | 'max_steps'>, step: number): number {
  const { learning_rate: peak, warmup_steps: W, max_steps: T } = config;
  const done = step - 1; // steps already taken: transformers' current_step
  if (done < W) return (peak * (done + 1)) / W;
  const progress = (done - W) / Math.max(1, T - W);
  switch (config.lr_scheduler_type) {
    case 'constant':
      return peak;
    case 'linear':
      return peak * Math.max(0, 1 - progress);
    case 'cosine':
      return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  }
}
