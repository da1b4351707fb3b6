// The experiment for Hugging Face TRL: train_grpo.py with the lab's settings mapped onto
// GRPOConfig or RLOOConfig and PEFT's LoraConfig, its reward functions imported from
// alphaalign_rewards.py (python/entrypoints/trl, copied with the package by exportRun.ts), the data
// in TRL's conversational prompt format, and requirements.txt.
// Names come from huggingface/trl trl/trainer/grpo_config.py, rloo_config.py and grpo_trainer.py
// (the 1.x line; see targetKeys.ts), transformers' training_args.py and peft's LoraConfig.
import type { PromptRow } from '../data/schema.ts';
import type { RlConfig } from '../rl/config.ts';
import { renderTemplate } from '../rl/template.ts';
import { ExportError, type ExportInput, type MappedSetting, type UnmappedSetting } from './exportTypes.ts';
import { pythonString } from './pythonSource.ts';
import { TRL_REQUIREMENT } from './targetKeys.ts';
import { onnxJudgeUnmapped } from './verifierSettings.ts';

export const TRL_REWARDS_FILE = 'alphaalign_rewards.py';
export const TRL_TRAIN_FILE = 'train_grpo.py';

const py = (value: unknown): string => {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return pythonString(value);
  if (value === null) return 'None';
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return JSON.stringify(value);
};

/** Which TRL trainer runs the lab's estimator; gae has none that takes reward functions. */
export function trlTrainer(config: RlConfig): 'GRPO' | 'RLOO' {
  if (config.advantage_estimator === 'gae') {
    throw new ExportError(
      "advantage_estimator gae: TRL's PPOTrainer scores with a reward model network, not reward functions, so the lab's verifiers cannot drive it; export for veRL (algorithm.adv_estimator=gae) or choose grpo, rloo or reinforce_pp_baseline",
    );
  }
  return config.advantage_estimator === 'rloo' ? 'RLOO' : 'GRPO';
}

/**
 * The reward functions train_grpo.py passes, with their weights: the safety reward at 1, the
 * helpfulness reward at w_h (when the run scores helpfulness), and three at weight 0 that change
 * nothing but make TRL log the lab's rates as rewards/<name>/mean (importRun.ts reads them back).
 */
export function trlRewardFunctions(config: RlConfig): { name: string; weight: number }[] {
  return [
    { name: 'safety_reward', weight: 1 },
    ...(config.helpfulness_scorer.kind === 'overlap' ? [{ name: 'helpfulness_reward', weight: config.w_h }] : []),
    { name: 'format_rate', weight: 0 },
    { name: 'refusal_rate_harmful', weight: 0 },
    { name: 'over_refusal_rate_benign', weight: 0 },
  ];
}

/** GRPOConfig / RLOOConfig keyword arguments, each with why it reads as it does. */
export function trlConfigSettings(config: RlConfig, hasEval: boolean): MappedSetting[] {
  const evaluating = hasEval && config.eval_steps > 0;
  const trainer = trlTrainer(config);
  const s = (key: string, value: unknown, note: string): MappedSetting => ({ key, value: py(value), note });
  const constantWithWarmup = config.lr_scheduler_type === 'constant' && config.warmup_steps > 0;
  const settings: MappedSetting[] = [
    s('output_dir', 'runs/alphaalign-trl', 'where TRL writes checkpoints and trainer_state.json'),
    s('num_generations', config.num_generations, 'num_generations: the group of each prompt'),
    s('max_completion_length', config.max_completion_length, 'max_completion_length (TRL defaults to 256)'),
    s('temperature', config.temperature, 'temperature'),
    s('top_p', config.top_p, 'top_p'),
    s('top_k', config.top_k, 'top_k: 0 turns it off in both'),
    s('beta', config.beta, trainer === 'GRPO' ? "beta: the k3 KL to the reference (TRL's default is 0.0, as the lab's)" : "beta: RLOOConfig defaults to 0.05, so it is set to the lab's value"),
    s('epsilon', config.epsilon, 'epsilon: the lower clip'),
    s('epsilon_high', config.epsilon_high, 'epsilon_high: the upper clip (TRL: None means epsilon)'),
    s('num_iterations', config.num_iterations, 'num_iterations: PPO epochs over each batch of rollouts'),
  ];
  if (trainer === 'GRPO') {
    const scale = config.advantage_estimator === 'reinforce_pp_baseline' ? 'batch' : config.scale_rewards ? 'group' : 'none';
    const why =
      config.advantage_estimator === 'reinforce_pp_baseline'
        ? 'the lab\'s reinforce_pp_baseline: group mean subtracted, scaled by the batch std ("batch")'
        : `scale_rewards ${config.scale_rewards}: ${config.scale_rewards ? '"group" divides by the group std' : '"none" keeps r − mean (Dr. GRPO)'}`;
    settings.push(
      s('scale_rewards', scale, why),
      s('loss_type', 'dapo', 'the lab divides the token loss by the completion tokens of the whole step: "dapo" (set, as older TRL releases defaulted to "bnpo" or "grpo")'),
    );
  } else {
    settings.push(s('normalize_advantages', false, "the lab's RLOO advantage is r − the mean of the others, unscaled"));
  }
  settings.push(
    s('learning_rate', config.learning_rate, 'learning_rate (TRL defaults to 1e-6)'),
    s('lr_scheduler_type', constantWithWarmup ? 'constant_with_warmup' : config.lr_scheduler_type, constantWithWarmup ? 'the lab\'s "constant" after a warm-up; transformers\' "constant" would skip the warm-up' : 'lr_scheduler_type'),
    s('warmup_steps', config.warmup_steps, 'warmup_steps (the lab\'s warm-up is one step ahead: its step 1 runs at lr / warmup_steps, not 0)'),
    s('max_steps', config.max_steps, 'max_steps: optimisation steps'),
    s('per_device_train_batch_size', config.per_device_train_batch_size, 'per_device_train_batch_size: sequences per forward and backward'),
    s('max_grad_norm', config.max_grad_norm, 'max_grad_norm'),
    s('weight_decay', config.weight_decay, 'weight_decay'),
    s('adam_beta1', config.adam_beta1, 'adam_beta1'),
    s('adam_beta2', config.adam_beta2, 'adam_beta2'),
    s('adam_epsilon', config.adam_epsilon, 'adam_epsilon'),
    s('seed', config.seed, 'seed (TRL draws its own samples: the same seed does not give the lab\'s rollouts)'),
    s('reward_weights', trlRewardFunctions(config).map((f) => f.weight), `R = R_s${config.helpfulness_scorer.kind === 'overlap' ? ' + w_h·R_h' : ''}; the rates at weight 0 are only logged`),
    s('logging_steps', 1, 'the lab logs every step'),
    s('log_completions', true, 'show sampled completions, as the lab\'s Rollouts panel does'),
    s('report_to', 'none', 'set "wandb" or "tensorboard" to chart the run elsewhere'),
    s('eval_strategy', evaluating ? 'steps' : 'no', 'evaluate every eval_steps on eval.jsonl (TRL samples, the lab evaluates greedily)'),
  );
  if (evaluating) {
    settings.push(
      s('eval_steps', config.eval_steps, 'eval_steps'),
      s('per_device_eval_batch_size', config.num_generations, 'one prompt\'s group per device: TRL needs a multiple of num_generations'),
    );
  }
  return settings;
}

/** peft.LoraConfig keyword arguments from the lab's LoRA settings; null for full fine-tuning. */
export function loraSettings(config: RlConfig): MappedSetting[] | null {
  if (config.finetune.kind !== 'lora') return null;
  const { rank, alpha, targets, dropout } = config.finetune;
  return [
    { key: 'r', value: py(rank), note: 'rank' },
    { key: 'lora_alpha', value: py(alpha), note: 'alpha: scale alpha / r, as PEFT' },
    { key: 'lora_dropout', value: py(dropout), note: 'dropout' },
    { key: 'target_modules', value: py(targets), note: 'targets' },
    { key: 'bias', value: py('none'), note: 'the lab trains no biases' },
    { key: 'task_type', value: py('CAUSAL_LM'), note: 'a causal language model' },
  ];
}

/** Settings TRL has no counterpart for, and what the export did. */
export function trlUnmapped(config: RlConfig): UnmappedSetting[] {
  const out: UnmappedSetting[] = [
    { setting: `prompts_per_step (${config.prompts_per_step})`, handling: `kept as the sequences per optimiser step: gradient_accumulation_steps = ${config.prompts_per_step} × ${config.num_generations} / (per_device_train_batch_size × GPUs), computed in train_grpo.py` },
    { setting: `generation_batch_size (${config.generation_batch_size})`, handling: "not written: the lab's is how many completions are sampled at once (memory); TRL's generation_batch_size means completions per generation round, which here is one step's, TRL's default" },
    { setting: `stop_strings (${JSON.stringify(config.stop_strings)})`, handling: 'not written: TRL ends a completion at EOS or max_completion_length. The format verifier reads the first answer pair after the reasoning, so text after </answer> changes no format verdict, and V_r reads that answer when the format holds' },
    { setting: `template`, handling: 'applied to every prompt in train.jsonl and eval.jsonl (the user turn); render_prompt() in alphaalign_rewards.py applies it to new rows' },
    { setting: 'evaluation', handling: "TRL's evaluation samples num_generations completions per prompt and logs their rewards; the lab's evaluates greedily and reports refusal and over-refusal rates per type. Run `python3 alphaalign_rewards.py classify` on saved completions to compare verdicts" },
  ];
  if (config.balance_labels) out.push({ setting: 'balance_labels (true)', handling: 'not available in TRL, which samples prompts uniformly from the shuffled training set: balance train.jsonl itself if the mix matters' });
  if (config.helpfulness_scorer.kind === 'onnx') {
    out.push({ setting: 'helpfulness_scorer onnx', handling: "not exported (the verifiers are standard-library Python): pass your reward model's Hugging Face id in reward_funcs in place of helpfulness_reward (TRL loads a sequence-classification model as a reward function); its scores are then not z-normalised per group as the lab's" });
  }
  if (config.helpfulness_scorer.kind === 'overlap') {
    out.push({ setting: 'helpfulness group normalisation', handling: "helpfulness_reward z-normalises within the completions of each prompt that reach it in one call; on one GPU those are the whole group. With several GPUs TRL scores each process's share, which may split a group; the safety reward is unaffected" });
  }
  out.push(...onnxJudgeUnmapped(config));
  return out;
}

function conversationalRow(row: PromptRow, config: RlConfig, source: string): Record<string, unknown> {
  return {
    prompt: [{ role: 'user', content: renderTemplate(config.template, row.prompt) }],
    label: row.label,
    type: row.type ?? '',
    source,
    id: row.id,
    reference: row.reference ?? '',
  };
}

/** TRL's conversational prompt format, one row per line, with label, type and source columns. */
export function trlJsonl(rows: readonly PromptRow[], config: RlConfig, source: string): string {
  return rows.map((row) => `${JSON.stringify(conversationalRow(row, config, source))}\n`).join('');
}

/** train_grpo.py: the trainer, its config and LoRA, the data; one file to launch with accelerate. */
export function trlTrainScript(input: ExportInput): string {
  const { config } = input;
  const trainer = trlTrainer(config);
  const lora = loraSettings(config);
  const kwargs = (settings: MappedSetting[], indent: string) => settings.map((m) => `${indent}${m.key}=${m.value},  # ${m.note}`).join('\n');
  const sequences = config.prompts_per_step * config.num_generations;
  const rewardFuncs = trlRewardFunctions(config).map((f) => f.name).join(', ');
  const hasEval = input.eval.length > 0;
  const settings = trlConfigSettings(config, hasEval);
  return `"""AlphaAlign on TRL's ${trainer}Trainer, exported by AlphaAlign Lab.

One GPU:      accelerate launch ${TRL_TRAIN_FILE}
Several GPUs: accelerate launch --num_processes N ${TRL_TRAIN_FILE}   (or --multi_gpu with a DeepSpeed config)
"""
# Names from huggingface/trl trl/trainer/grpo_config.py, rloo_config.py and grpo_trainer.py (${TRL_REQUIREMENT}),
# transformers src/transformers/training_args.py and peft's LoraConfig. Each argument says where it
# came from in the lab's config and where TRL's name or default differs.
import os

from datasets import load_dataset
${lora ? 'from peft import LoraConfig\n' : ''}from trl import ${trainer}Config, ${trainer}Trainer

from alphaalign_rewards import ${rewardFuncs}

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = ${pythonString(input.model)}

# The lab's step is prompts_per_step × num_generations sequences; TRL's is
# per_device_train_batch_size × processes × gradient_accumulation_steps.
SEQUENCES_PER_STEP = ${sequences}
PER_DEVICE = ${config.per_device_train_batch_size}
PROCESSES = int(os.environ.get("WORLD_SIZE", "1"))
if SEQUENCES_PER_STEP % (PER_DEVICE * PROCESSES) != 0:
    raise SystemExit(
        f"{SEQUENCES_PER_STEP} sequences per step do not split over {PROCESSES} processes of {PER_DEVICE}: "
        "change per_device_train_batch_size or the number of processes"
    )

config = ${trainer}Config(
${kwargs(settings, '    ')}
    gradient_accumulation_steps=SEQUENCES_PER_STEP // (PER_DEVICE * PROCESSES),  # the lab's prompts_per_step
)
${lora ? `peft_config = LoraConfig(\n${kwargs(lora, '    ')}\n)\n` : ''}
data = load_dataset("json", data_files={"train": os.path.join(HERE, "train.jsonl")${hasEval ? ', "eval": os.path.join(HERE, "eval.jsonl")' : ''}})
trainer = ${trainer}Trainer(
    model=MODEL,
    reward_funcs=[${rewardFuncs}],
    args=config,
    train_dataset=data["train"],
${hasEval && config.eval_steps > 0 ? '    eval_dataset=data["eval"],\n' : ''}${lora ? '    peft_config=peft_config,\n' : ''})
trainer.train()
trainer.save_model(config.output_dir)
`;
}

export function trlRequirements(): string {
  return `${TRL_REQUIREMENT}\npeft>=0.15\ndatasets>=3.0\naccelerate>=1.4\n`;
}
