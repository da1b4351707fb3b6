// The experiment for veRL: train.parquet / val.parquet in veRL's row format (as its
// examples/data_preprocess/*.py write them), run_grpo.sh pointing veRL's custom reward function at
// alphaalign_reward.py (python/entrypoints/verl, copied with the package by exportRun.ts; veRL's
// signature compute_score(data_source, solution_str, ground_truth, extra_info=None)), and
// the lab's settings as Hydra overrides of verl.trainer.main_ppo, on one node or
// submitted to a Ray cluster. Key names: targetKeys.ts (verl/trainer/config/ppo_trainer.yaml).
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { PromptRow } from '../data/schema.ts';
import type { RlConfig } from '../rl/config.ts';
import { renderTemplate } from '../rl/template.ts';
import type { ExportInput, MappedSetting, UnmappedSetting } from './exportTypes.ts';
import { VERL_REQUIREMENT } from './targetKeys.ts';
import { onnxJudgeUnmapped } from './verifierSettings.ts';

export const VERL_REWARD_FILE = 'alphaalign_reward.py';
export const VERL_SCRIPT_FILE = 'run_grpo.sh';
/** veRL routes rows to a scorer by data_source; the custom reward function takes every row. */
export const VERL_DATA_SOURCE = 'alphaalign';

const ADV_ESTIMATOR: Record<RlConfig['advantage_estimator'], string> = {
  grpo: 'grpo',
  rloo: 'rloo',
  reinforce_pp_baseline: 'reinforce_plus_plus_baseline',
  gae: 'gae',
};

/** A Hydra override value: lists as [a,b], strings quoted when Hydra would read them otherwise. */
function hydra(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(hydra).join(',')}]`;
  if (typeof value === 'string') return /^[\w./~$-]+$/.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return JSON.stringify(value);
}

/** The Hydra overrides of verl.trainer.main_ppo; paths are written relative to DIR, which run_grpo.sh sets. */
export function verlOverrides(input: ExportInput): MappedSetting[] {
  const { config } = input;
  const o = (key: string, value: unknown, note: string): MappedSetting => ({ key, value: hydra(value), note });
  const batchesPerEpoch = Math.max(1, Math.floor(input.train.length / config.prompts_per_step));
  const hasEval = input.eval.length > 0;
  const out: MappedSetting[] = [
    o('algorithm.adv_estimator', ADV_ESTIMATOR[config.advantage_estimator], `advantage_estimator ${config.advantage_estimator}`),
    o('algorithm.use_kl_in_reward', false, 'the KL is a loss term, as the lab\'s'),
  ];
  if (config.advantage_estimator === 'grpo') out.push(o('algorithm.norm_adv_by_std_in_grpo', config.scale_rewards, 'scale_rewards'));
  if (config.advantage_estimator === 'gae') {
    out.push(
      o('algorithm.gamma', config.gamma, 'gamma'),
      o('algorithm.lam', config.lam, 'lam (veRL defaults to 1.0, the lab to 0.95)'),
      o('critic.model.path', input.model, 'the critic starts from the policy\'s weights (the lab: a value head on the policy)'),
      o('critic.optim.lr', config.learning_rate, 'the lab\'s value head trains at learning_rate'),
      o('critic.cliprange_value', config.cliprange_value, 'cliprange_value (veRL defaults to 0.5)'),
      o('critic.ppo_micro_batch_size_per_gpu', config.per_device_train_batch_size, 'per_device_train_batch_size'),
    );
  }
  out.push(
    o('data.train_files', '$DIR/train.parquet', 'train.parquet'),
    ...(hasEval ? [o('data.val_files', '$DIR/val.parquet', 'val.parquet')] : []),
    o('data.prompt_key', 'prompt', 'the chat messages column'),
    o('data.train_batch_size', config.prompts_per_step, 'prompts_per_step'),
    o('data.max_prompt_length', 1024, "the longest prompt in the target model's tokens, which the export cannot count: raise it for long prompts"),
    o('data.filter_overlong_prompts', true, 'drop longer prompts, as the lab does, instead of failing'),
    o('data.truncation', 'error', 'never cut a prompt silently'),
    o('data.max_response_length', config.max_completion_length, 'max_completion_length'),
    o('data.shuffle', true, 'the lab draws each step\'s prompts at random'),
    o('actor_rollout_ref.model.path', input.model, 'the model'),
  );
  if (config.finetune.kind === 'lora') {
    out.push(
      o('actor_rollout_ref.model.lora_rank', config.finetune.rank, 'LoRA rank'),
      o('actor_rollout_ref.model.lora_alpha', config.finetune.alpha, 'LoRA alpha'),
      o('actor_rollout_ref.model.target_modules', config.finetune.targets, 'LoRA targets'),
    );
  }
  out.push(
    o('actor_rollout_ref.actor.optim.lr', config.learning_rate, 'learning_rate'),
    o('actor_rollout_ref.actor.optim.lr_warmup_steps', config.warmup_steps, 'warmup_steps'),
    o('actor_rollout_ref.actor.optim.warmup_style', config.lr_scheduler_type === 'cosine' ? 'cosine' : 'constant', `lr_scheduler_type ${config.lr_scheduler_type}${config.lr_scheduler_type === 'linear' ? ' (veRL has no linear decay: constant, see the README)' : ''}`),
    ...(config.lr_scheduler_type === 'cosine' ? [o('actor_rollout_ref.actor.optim.min_lr_ratio', 0.0, 'cosine decays to 0, as the lab\'s')] : []),
    o('actor_rollout_ref.actor.optim.weight_decay', config.weight_decay, 'weight_decay (veRL defaults to 0.01)'),
    o('actor_rollout_ref.actor.optim.betas', [config.adam_beta1, config.adam_beta2], 'adam_beta1, adam_beta2'),
    o('actor_rollout_ref.actor.ppo_mini_batch_size', config.prompts_per_step, 'one update per step: the mini-batch is the whole step (in prompts)'),
    o('actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu', config.per_device_train_batch_size, 'per_device_train_batch_size'),
    o('actor_rollout_ref.actor.ppo_epochs', config.num_iterations, 'num_iterations'),
    o('actor_rollout_ref.actor.grad_clip', config.max_grad_norm, 'max_grad_norm'),
    o('actor_rollout_ref.actor.clip_ratio_low', config.epsilon, 'epsilon'),
    o('actor_rollout_ref.actor.clip_ratio_high', config.epsilon_high, 'epsilon_high'),
    o('actor_rollout_ref.actor.loss_agg_mode', 'token-mean', 'the token loss over all completion tokens of the step'),
    o('actor_rollout_ref.actor.entropy_coeff', 0, 'the lab has no entropy bonus'),
    o('actor_rollout_ref.actor.use_kl_loss', config.beta > 0, 'beta > 0'),
    o('actor_rollout_ref.actor.kl_loss_coef', config.beta, 'beta'),
    o('actor_rollout_ref.actor.kl_loss_type', 'low_var_kl', 'the k3 estimator, as the lab\'s'),
    o('actor_rollout_ref.actor.checkpoint.save_contents', ['model', 'optimizer', 'extra', 'hf_model'], 'also a Hugging Face folder, which opens in the lab'),
    o('actor_rollout_ref.rollout.name', 'vllm', 'rollouts in vLLM (sglang works too)'),
    o('actor_rollout_ref.rollout.n', config.num_generations, 'num_generations'),
    o('actor_rollout_ref.rollout.temperature', config.temperature, 'temperature'),
    o('actor_rollout_ref.rollout.top_p', config.top_p, 'top_p'),
    o('actor_rollout_ref.rollout.top_k', config.top_k === 0 ? -1 : config.top_k, 'top_k (off is 0 in the lab, -1 in vLLM)'),
    o('actor_rollout_ref.rollout.val_kwargs.temperature', 0, 'greedy evaluation, as the lab\'s'),
    o('actor_rollout_ref.rollout.val_kwargs.do_sample', false, 'greedy evaluation'),
    o('actor_rollout_ref.rollout.tensor_model_parallel_size', 1, 'a model of the lab\'s size fits one GPU'),
    o('custom_reward_function.path', `$DIR/${VERL_REWARD_FILE}`, 'the verifiers'),
    o('custom_reward_function.name', 'compute_score', 'veRL\'s signature'),
    o('trainer.total_training_steps', config.max_steps, 'max_steps'),
    o('trainer.total_epochs', Math.ceil(config.max_steps / batchesPerEpoch), `enough passes over ${input.train.length} prompts for max_steps`),
    o('trainer.test_freq', hasEval && config.eval_steps > 0 ? config.eval_steps : -1, 'eval_steps'),
    o('trainer.val_before_train', hasEval, 'the lab evaluates before training too'),
    o('trainer.save_freq', config.max_steps, 'save at the end'),
    o('trainer.logger', ['console'], 'add wandb or tensorboard here'),
    o('trainer.project_name', 'alphaalign', 'names the run'),
    o('trainer.experiment_name', 'alphaalign-export', 'names the run'),
    o('trainer.nnodes', '$NNODES', 'from NNODES (default 1)'),
    o('trainer.n_gpus_per_node', '$GPUS_PER_NODE', 'from GPUS_PER_NODE (default 1)'),
  );
  return out;
}

/** Settings veRL has no counterpart for, and what the export did. */
export function verlUnmapped(config: RlConfig): UnmappedSetting[] {
  const out: UnmappedSetting[] = [
    { setting: `seed (${config.seed})`, handling: 'not written: this veRL release has no seed key in ppo_trainer.yaml; its data loader and samplers seed themselves' },
    { setting: `stop_strings (${JSON.stringify(config.stop_strings)})`, handling: 'not written: completions end at EOS or max_response_length. The format verifier reads the first answer pair after the reasoning, so text after </answer> changes no format verdict' },
    { setting: `generation_batch_size (${config.generation_batch_size})`, handling: 'not written: vLLM batches rollouts itself' },
    { setting: 'max_prompt_length', handling: 'set to 1024 tokens of the target model (the export cannot count them); data.filter_overlong_prompts drops longer prompts' },
    { setting: 'template', handling: 'applied to every prompt in the Parquet files (the user turn)' },
  ];
  if (config.balance_labels) out.push({ setting: 'balance_labels (true)', handling: "not available in veRL's sampler: balance train.parquet itself if the mix matters" });
  if (config.lr_scheduler_type === 'linear') out.push({ setting: 'lr_scheduler_type linear', handling: 'veRL offers constant and cosine only: written as constant after the warm-up' });
  if (config.advantage_estimator === 'gae') out.push({ setting: `vf_coef (${config.vf_coef})`, handling: "not written: veRL's critic is a separate model with its own optimiser, so the value loss is not weighted against the policy loss" });
  if (config.advantage_estimator !== 'grpo' && !config.scale_rewards) out.push({ setting: 'scale_rewards false', handling: 'applies to grpo only, in veRL as in the lab' });
  if (config.helpfulness_scorer.kind === 'overlap') {
    out.push({ setting: 'helpfulness group normalisation', handling: "compute_score scores one completion at a time, so it returns R_s + w_h · (raw overlap score) for a benign non-refusal; the group normalisation comes from veRL's advantage estimator (grpo: per prompt), which normalises the whole reward rather than the helpfulness part alone" });
  }
  if (config.helpfulness_scorer.kind === 'onnx') out.push({ setting: 'helpfulness_scorer onnx', handling: "not exported: enable veRL's reward_model section with your reward model, or keep the safety reward alone" });
  out.push(...onnxJudgeUnmapped(config));
  return out;
}

function verlRow(row: PromptRow, config: RlConfig, split: 'train' | 'test', index: number, source: string) {
  return {
    data_source: VERL_DATA_SOURCE,
    prompt: [{ role: 'user', content: renderTemplate(config.template, row.prompt) }],
    ability: 'safety',
    reward_model: { style: 'rule', ground_truth: row.label },
    extra_info: { split, index: BigInt(index), id: row.id, type: row.type ?? '', source, reference: row.reference ?? '' },
  };
}

const utf8 = (name: string) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const });

/** veRL's row format as Parquet: prompt a list of {role, content}, reward_model and extra_info structs. */
export function verlParquet(rows: readonly PromptRow[], config: RlConfig, split: 'train' | 'test', source: string): Uint8Array {
  const records = rows.map((row, i) => verlRow(row, config, split, i, source));
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'data_source', data: records.map((r) => r.data_source) },
      { name: 'prompt', data: records.map((r) => r.prompt) },
      { name: 'ability', data: records.map((r) => r.ability) },
      { name: 'reward_model', data: records.map((r) => r.reward_model) },
      { name: 'extra_info', data: records.map((r) => r.extra_info) },
    ],
    schema: [
      { name: 'root', num_children: 5 },
      utf8('data_source'),
      { name: 'prompt', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
      utf8('role'),
      utf8('content'),
      utf8('ability'),
      { name: 'reward_model', repetition_type: 'REQUIRED', num_children: 2 },
      utf8('style'),
      utf8('ground_truth'),
      { name: 'extra_info', repetition_type: 'REQUIRED', num_children: 6 },
      utf8('split'),
      { name: 'index', type: 'INT64', repetition_type: 'REQUIRED' },
      utf8('id'),
      utf8('type'),
      utf8('source'),
      utf8('reference'),
    ],
  });
  return new Uint8Array(buffer);
}

/** run_grpo.sh: verl.trainer.main_ppo with the overrides, locally or through `ray job submit`. */
export function verlScript(input: ExportInput): string {
  const overrides = verlOverrides(input)
    .map((m) => {
      // $DIR, $NNODES and $GPUS_PER_NODE expand in the shell; everything else is quoted as written.
      const value = m.value.replace(/'/g, `'\\''`);
      const expanded = value.replace(/\$(DIR|NNODES|GPUS_PER_NODE)/g, `'"$$$1"'`);
      return `  '${m.key}=${expanded}'  # ${m.note.replace(/\n/g, ' ')}`;
    })
    .join('\n');
  return `#!/usr/bin/env bash
# AlphaAlign on veRL (${VERL_REQUIREMENT}), exported by AlphaAlign Lab. Overrides of
# verl/trainer/config/ppo_trainer.yaml, each with the lab setting it comes from.
#
# One node:        NNODES=1 GPUS_PER_NODE=8 bash ${VERL_SCRIPT_FILE}
# A Ray cluster:   RAY_ADDRESS=http://head:8265 NNODES=4 GPUS_PER_NODE=8 bash ${VERL_SCRIPT_FILE} --submit
#                  (ray job submit … -- python3 -m verl.trainer.main_ppo … trainer.nnodes=4)
set -euo pipefail
HERE="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
NNODES="\${NNODES:-1}"
GPUS_PER_NODE="\${GPUS_PER_NODE:-1}"
if [ "\${1:-}" = "--submit" ]; then
  DIR=.   # the job runs in the uploaded working_dir
else
  DIR="$HERE"
fi

OVERRIDES=(
${overrides}
)

if [ "\${1:-}" = "--submit" ]; then
  ray job submit --address="\${RAY_ADDRESS:-http://127.0.0.1:8265}" \\
    --runtime-env-json="{\\"working_dir\\": \\"$HERE\\"}" \\
    -- python3 -m verl.trainer.main_ppo "\${OVERRIDES[@]}"
else
  python3 -m verl.trainer.main_ppo "\${OVERRIDES[@]}"
fi
`;
}
