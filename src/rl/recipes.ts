// Recipes: whole run settings for a kind of model, each value with where it comes from, so a user
// who brings a pretrained checkpoint does not start from the demo preset (learning rate 5e-4 and
// 48-token completions, made for a 0.25 M model trained from scratch, wreck a pretrained one).
//
// - demo: the demo preset itself, public/datasets/demo-config.json, read by the caller from the
//   one file the lab already uses (the page fetches it, the command line reads it).
// - lora: GRPO with LoRA on every linear layer, as TRL's GRPO-with-LoRA examples run it.
// - paper: the paper's full fine-tuning (arXiv 2507.14987: veRL PPO, actor lr 1e-6, 16 prompts ×
//   8 rollouts).
// On a model and adapter, both pretrained recipes take the largest micro-batch and generation
// batch the memory planner fits (it decides recomputation), or say what does not fit and the way out.
//
// The lab picks demo for the demo model (and checkpoints of runs made with the demo recipe) and
// lora for any other model (recipeFor). Settings a user gives (--config, the form) go over the
// recipe's; the run card records the recipe's name.
import type { TensorDtype } from '../gpu/gpu.ts';
import type { ModelConfig } from '../model/config.ts';
import { LORA_TARGETS } from '../model/lora.ts';
import { gib, planMemory, type MemoryLimits, type MemoryPlan, type RunShape } from '../model/memoryPlanner.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import { parseRlConfig, type RlConfig } from './config.ts';
import { promptIds } from './prompting.ts';
import { DEFAULT_TEMPLATE } from './template.ts';

export const RECIPE_NAMES = ['demo', 'lora', 'paper'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

/** What scripts/build-demo-model.ts writes as its alphaalign_run.json's kind: the demo model's mark. */
export const DEMO_MODEL_KIND = 'demo base (SFT, random refusals)';

/** One line per recipe, for the page's switcher and `lab recipe`. */
export const RECIPE_TITLES: Readonly<Record<RecipeName, string>> = {
  demo: 'demo preset: full fine-tuning at lr 5e-4, 48-token completions, for the small demo model trained from scratch',
  lora: 'LoRA on every linear layer at lr 1e-5, groups of 8, 256-token completions (TRL GRPO with LoRA)',
  paper: "the paper's full fine-tuning: lr 1e-6, 16 prompts × 8 rollouts, 1024-token completions, PPO with a critic",
};

/**
 * Tokens a prompt takes beyond the template and chat template: the shipped prompts are 80
 * characters at the median and 177 at the 90th percentile (public/datasets/demo-train.jsonl), under
 * 64 tokens with any of the users' tokenizers. Recipes size sequences with it before data is chosen.
 */
export const PROMPT_TOKEN_ALLOWANCE = 64;

/** RecipeModel's promptTokens: `template` around an empty prompt in the model's chat template, plus the allowance. */
export function recipePromptTokens(tokenizer: TextTokenizer, template: string): number {
  return promptIds(tokenizer, template, '').length + PROMPT_TOKEN_ALLOWANCE;
}

/**
 * A model as recipes see it: `run` is its alphaalign_run.json when it is a lab checkpoint; the
 * prompt is sized with the default template, which every recipe keeps.
 */
export function recipeModel(config: ModelConfig, frozenDtype: TensorDtype, tokenizer: TextTokenizer, run: Readonly<Record<string, unknown>> | null): RecipeModel {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { config, frozenDtype, promptTokens: recipePromptTokens(tokenizer, DEFAULT_TEMPLATE), runKind: text(run?.kind), runRecipe: text(run?.recipe) };
}

/** What a recipe needs to know of the model: its config.json, how its weights are stored, and what its run record says. */
export interface RecipeModel {
  config: ModelConfig;
  /** The checkpoint's dtype (a frozen base keeps it on the GPU). */
  frozenDtype: TensorDtype;
  /** A templated prompt's tokens: the template in the chat template plus PROMPT_TOKEN_ALLOWANCE. */
  promptTokens: number;
  /** alphaalign_run.json's kind and recipe, when the model is a lab checkpoint. */
  runKind: string | null;
  runRecipe: string | null;
}

export interface RecipeChoice {
  name: RecipeName;
  /** Why the lab picked it, for the line under the recipe's name. */
  reason: string;
}

/** The recipe the lab starts a model with, and why. */
export function recipeFor(model: Pick<RecipeModel, 'runKind' | 'runRecipe'>): RecipeChoice {
  if (model.runKind === DEMO_MODEL_KIND) return { name: 'demo', reason: 'the built-in demo model (its alphaalign_run.json says so), trained from scratch at this size' };
  if (model.runRecipe === 'demo') return { name: 'demo', reason: 'a checkpoint of a run made with the demo recipe (its alphaalign_run.json says so)' };
  return { name: 'lora', reason: 'a pretrained checkpoint: LoRA at a small learning rate keeps what it knows, and fits in memory where full fine-tuning may not' };
}

export class RecipeError extends Error {
  override name = 'RecipeError';
}

/** A recipe's name as typed, or a message listing the names. */
export function parseRecipeName(name: string): RecipeName {
  if ((RECIPE_NAMES as readonly string[]).includes(name)) return name as RecipeName;
  throw new RecipeError(`no recipe "${name}": choose one of ${RECIPE_NAMES.join(', ')}`);
}

/** The lora recipe's settings: TRL's GRPOConfig defaults where it has one, TRL's LoRA examples for the rest. */
const LORA_SETTINGS = {
  // TRL docs, LoRA Without Regret (docs/source/lora_without_regret.md): GRPO with LoRA at 1.0e-5
  // (SmolLM3-3B; full fine-tuning 1.0e-6), "about 10× the full fine-tuning rate"; its Python
  // example uses 5e-5. The lower end keeps a 0.1-1.5 B instruct model's manners.
  learning_rate: 1e-5,
  // TRL GRPOConfig: num_generations defaults to 8 (also the paper's rollouts per prompt).
  num_generations: 8,
  // 8 prompts × 8 = 64 sequences a step; LoRA Without Regret finds LoRA less tolerant of large
  // batches, so not the paper's 16.
  prompts_per_step: 8,
  balance_labels: true,
  // TRL GRPOConfig: max_completion_length defaults to 256: room for reasoning and </answer>.
  max_completion_length: 256,
  // TRL GRPOConfig: temperature 1.0, top_p 1.0, top_k 0 (off); the paper samples at 1.0.
  temperature: 1.0,
  top_p: 1.0,
  top_k: 0,
  // TRL GRPOConfig: beta 0.0 (no reference pass), epsilon 0.2, num_iterations 1, scale_rewards "group".
  beta: 0,
  epsilon: 0.2,
  epsilon_high: 0.2,
  num_iterations: 1,
  advantage_estimator: 'grpo',
  scale_rewards: true,
  // TRL: max_grad_norm 1.0 (transformers' default).
  max_grad_norm: 1.0,
  // The paper: under 200 steps.
  max_steps: 200,
  eval_steps: 25,
  // LoRA Without Regret: target_modules "all-linear" (every projection; lm_head excepted, PEFT's
  // all-linear rule), lora_alpha 32 in its GRPO runs; rank in its RL range of 1-32; PEFT's
  // LoraConfig default lora_dropout 0.0.
  finetune: { kind: 'lora', rank: 16, alpha: 32, targets: [...LORA_TARGETS], dropout: 0 },
} as const;

/** The paper's settings (arXiv 2507.14987, §4 and its appendix: veRL PPO); batch sizes come from the plan. */
const PAPER_SETTINGS = {
  // The paper: actor learning rate 1e-6, full fine-tuning (also TRL GRPOConfig's default).
  learning_rate: 1e-6,
  // The paper: 16 prompts per step, 8 rollouts per prompt.
  prompts_per_step: 16,
  num_generations: 8,
  balance_labels: true,
  // The paper allows responses up to 2048 tokens; 1024 holds its reasoning-and-answer on 0.1-1.5 B
  // models and halves the step (capped further by the model's context, paperCompletionLength).
  max_completion_length: 1024,
  temperature: 1.0,
  top_p: 1.0,
  top_k: 0,
  // The paper: PPO with a critic and GAE (veRL); veRL's gamma 1.0, lam 1.0 for the actor's GAE.
  advantage_estimator: 'gae',
  gamma: 1.0,
  lam: 1.0,
  // veRL's PPO: clip ratio 0.2; its actor adds no KL loss by default (use_kl_loss false), so no
  // frozen copy of the weights.
  epsilon: 0.2,
  epsilon_high: 0.2,
  beta: 0,
  num_iterations: 1,
  max_grad_norm: 1.0,
  // The paper: under 200 steps.
  max_steps: 200,
  eval_steps: 25,
  finetune: { kind: 'full' },
} as const;

/** Micro-batches tried, largest first: each divides a step's sequences (64 for lora, 128 for paper). */
const MICRO_BATCHES = [16, 8, 4, 2, 1];
/** Generation batches tried, largest first (the config's default, 32, first). */
const GENERATION_BATCHES = [32, 16, 8, 4, 2, 1];

export interface RecipeResult {
  name: RecipeName;
  /** The settings as JSON (what a --config file would hold); parseRlConfig gives `config`. */
  settings: Record<string, unknown>;
  config: RlConfig;
  /** The memory plan of the run at the recipe's longest sequence; null without a model. */
  plan: MemoryPlan | null;
  /** The recipe does not fit this model and adapter: what does not, and the way out; null when it fits. */
  problem: string | null;
}

/** The run shape the trainer plans for `config` on `model` (AlphaAlignTrainer's). */
export function recipeRunShape(config: RlConfig, model: RecipeModel): RunShape {
  const lora = config.finetune.kind === 'lora' ? config.finetune : null;
  const seqLen = Math.min(model.config.maxPositions, model.promptTokens + config.max_completion_length);
  return {
    batch: config.per_device_train_batch_size,
    seqLen,
    finetune: lora ? { kind: 'lora', rank: lora.rank, targets: lora.targets } : { kind: 'full' },
    generationBatch: config.generation_batch_size,
    generationLen: seqLen,
    referenceCopy: config.beta > 0 && !lora,
    frozenDtype: model.frozenDtype,
    // The trainer always plans its evaluation generator beside the rollouts'.
    evaluation: true,
  };
}

/** Completions as long as the paper's setting asks, within the model's context after a prompt. */
function paperCompletionLength(model: RecipeModel): number {
  return Math.max(1, Math.min(PAPER_SETTINGS.max_completion_length, model.config.maxPositions - model.promptTokens));
}

/**
 * A pretrained recipe scaled to this model and adapter: the largest micro-batch (within `largest`),
 * then the largest generation batch, that the planner fits (it chooses recomputation itself); when
 * none fits, the smallest, with the planner's problem and the way out.
 */
function fittedSettings(name: RecipeName, base: Record<string, unknown>, largest: number, model: RecipeModel, limits: MemoryLimits): RecipeResult {
  let last: RecipeResult | null = null;
  for (const micro of MICRO_BATCHES.filter((b) => b <= largest)) {
    for (const generation of GENERATION_BATCHES) {
      const settings = { ...base, per_device_train_batch_size: micro, generation_batch_size: generation };
      const config = parseRlConfig(settings);
      const plan = planMemory(model.config, recipeRunShape(config, model), limits);
      last = { name, settings, config, plan, problem: null };
      if (plan.ok) return last;
    }
  }
  const wayOut = name === 'paper' ? `use the lora recipe (its base stays frozen in ${model.frozenDtype}), or lower max_completion_length` : 'lower max_completion_length or prompts_per_step, or use a smaller model';
  return { ...last!, problem: `the ${name} recipe does not fit even one sequence at a time (micro-batch 1, generation batch 1). ${last!.plan!.problem} Ways out here: ${wayOut}.` };
}

/**
 * A recipe's settings. demoPreset: demo-config.json as read (the demo recipe is that file). With
 * `model` and `limits` the pretrained recipes are planned against the adapter: paper's batches are
 * scaled to fit, and a plan that does not fit is returned with its problem.
 */
export function recipeSettings(name: RecipeName, demoPreset: unknown, model: RecipeModel | null, limits: MemoryLimits | null): RecipeResult {
  if (name === 'demo') {
    if (!demoPreset || typeof demoPreset !== 'object' || Array.isArray(demoPreset)) throw new RecipeError('the demo preset (public/datasets/demo-config.json) is not a JSON object of settings');
    const settings = { ...(demoPreset as Record<string, unknown>) };
    return planned(name, settings, model, limits);
  }
  const settings: Record<string, unknown> =
    name === 'paper'
      ? { ...PAPER_SETTINGS, ...(model ? { max_completion_length: paperCompletionLength(model) } : {}) }
      : { ...LORA_SETTINGS, finetune: { ...LORA_SETTINGS.finetune, targets: [...LORA_SETTINGS.finetune.targets] } };
  const largest = name === 'paper' ? 16 : 8;
  if (model && limits) return fittedSettings(name, settings, largest, model, limits);
  return planned(name, { ...settings, per_device_train_batch_size: largest, generation_batch_size: GENERATION_BATCHES[0] }, null, null);
}

function planned(name: RecipeName, settings: Record<string, unknown>, model: RecipeModel | null, limits: MemoryLimits | null): RecipeResult {
  const config = parseRlConfig(settings);
  if (!model || !limits) return { name, settings, config, plan: null, problem: null };
  const plan = planMemory(model.config, recipeRunShape(config, model), limits);
  return { name, settings, config, plan, problem: plan.ok ? null : `${plan.problem} (the plan's peak: ${gib(plan.totalBytes)})` };
}
