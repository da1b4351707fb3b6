// The settings the export may write, by name, as the pinned releases declare them. Each list was
// read from the named source file; tests/export/targetKeys.test.ts checks that every key an
// export writes is among them, so a misspelt or invented key fails there and not on a cluster.

/** The TRL release range written to requirements.txt. */
export const TRL_REQUIREMENT = 'trl>=1.0,<2';
/** The veRL release range the README and run_grpo.sh are written for. */
export const VERL_REQUIREMENT = 'verl>=0.5,<0.7';

/**
 * GRPOConfig's own fields, from huggingface/trl trl/trainer/grpo_config.py (commit 006d32c9, the
 * 1.x line), and the transformers TrainingArguments fields it inherits that the export sets
 * (transformers src/transformers/training_args.py).
 */
export const TRL_GRPO_CONFIG_KEYS: readonly string[] = [
  // grpo_config.py
  'learning_rate', 'model_init_kwargs', 'disable_dropout', 'remove_unused_columns', 'num_generations',
  'max_completion_length', 'shuffle_dataset', 'generation_batch_size', 'steps_per_generation', 'temperature',
  'top_p', 'top_k', 'min_p', 'generation_kwargs', 'repetition_penalty', 'use_vllm', 'vllm_mode', 'beta',
  'num_iterations', 'epsilon', 'epsilon_high', 'importance_sampling_level', 'reward_weights', 'scale_rewards',
  'loss_type', 'mask_truncated_completions', 'log_completions',
  // training_args.py
  'output_dir', 'max_steps', 'per_device_train_batch_size', 'per_device_eval_batch_size', 'gradient_accumulation_steps',
  'seed', 'logging_steps', 'max_grad_norm', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon',
  'lr_scheduler_type', 'warmup_steps', 'eval_strategy', 'eval_steps', 'save_steps', 'report_to', 'bf16',
];

/** RLOOConfig's own fields, from huggingface/trl trl/trainer/rloo_config.py (same commit), and the same TrainingArguments fields. */
export const TRL_RLOO_CONFIG_KEYS: readonly string[] = [
  // rloo_config.py
  'learning_rate', 'model_init_kwargs', 'disable_dropout', 'remove_unused_columns', 'num_generations',
  'max_completion_length', 'shuffle_dataset', 'generation_batch_size', 'steps_per_generation', 'temperature',
  'top_p', 'top_k', 'min_p', 'generation_kwargs', 'repetition_penalty', 'use_vllm', 'vllm_mode', 'beta',
  'num_iterations', 'epsilon', 'epsilon_high', 'reward_weights', 'normalize_advantages', 'reward_clip_range',
  'mask_truncated_completions', 'log_completions',
  // training_args.py
  'output_dir', 'max_steps', 'per_device_train_batch_size', 'per_device_eval_batch_size', 'gradient_accumulation_steps',
  'seed', 'logging_steps', 'max_grad_norm', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon',
  'lr_scheduler_type', 'warmup_steps', 'eval_strategy', 'eval_steps', 'save_steps', 'report_to', 'bf16',
];

/** peft.LoraConfig's fields the export sets (huggingface/peft src/peft/tuners/lora/config.py). */
export const PEFT_LORA_CONFIG_KEYS: readonly string[] = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'bias', 'task_type'];

/**
 * veRL's Hydra keys the export overrides, as dotted paths, from volcengine/verl
 * verl/trainer/config/_generated_ppo_trainer.yaml (commit b2df6f8c, the flattened
 * ppo_trainer.yaml of the 0.5 line); custom_reward_function.* as verl/utils/reward_score/__init__.py
 * and the trainer read them.
 */
export const VERL_CONFIG_KEYS: readonly string[] = [
  'algorithm.adv_estimator', 'algorithm.gamma', 'algorithm.lam', 'algorithm.norm_adv_by_std_in_grpo',
  'algorithm.use_kl_in_reward',
  'data.train_files', 'data.val_files', 'data.prompt_key', 'data.train_batch_size', 'data.max_prompt_length',
  'data.max_response_length', 'data.filter_overlong_prompts', 'data.truncation', 'data.shuffle',
  'actor_rollout_ref.model.path', 'actor_rollout_ref.model.lora_rank', 'actor_rollout_ref.model.lora_alpha',
  'actor_rollout_ref.model.target_modules',
  'actor_rollout_ref.actor.optim.lr', 'actor_rollout_ref.actor.optim.lr_warmup_steps', 'actor_rollout_ref.actor.optim.warmup_style',
  'actor_rollout_ref.actor.optim.weight_decay', 'actor_rollout_ref.actor.optim.betas', 'actor_rollout_ref.actor.optim.min_lr_ratio',
  'actor_rollout_ref.actor.ppo_mini_batch_size', 'actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu',
  'actor_rollout_ref.actor.ppo_epochs', 'actor_rollout_ref.actor.grad_clip', 'actor_rollout_ref.actor.clip_ratio_low',
  'actor_rollout_ref.actor.clip_ratio_high', 'actor_rollout_ref.actor.loss_agg_mode', 'actor_rollout_ref.actor.use_kl_loss',
  'actor_rollout_ref.actor.kl_loss_coef', 'actor_rollout_ref.actor.kl_loss_type', 'actor_rollout_ref.actor.entropy_coeff',
  'actor_rollout_ref.actor.checkpoint.save_contents',
  'actor_rollout_ref.rollout.name', 'actor_rollout_ref.rollout.n', 'actor_rollout_ref.rollout.temperature',
  'actor_rollout_ref.rollout.top_p', 'actor_rollout_ref.rollout.top_k', 'actor_rollout_ref.rollout.val_kwargs.temperature',
  'actor_rollout_ref.rollout.val_kwargs.do_sample', 'actor_rollout_ref.rollout.tensor_model_parallel_size',
  'critic.model.path', 'critic.optim.lr', 'critic.cliprange_value', 'critic.ppo_micro_batch_size_per_gpu',
  'custom_reward_function.path', 'custom_reward_function.name',
  'trainer.total_training_steps', 'trainer.total_epochs', 'trainer.test_freq', 'trainer.save_freq', 'trainer.logger',
  'trainer.project_name', 'trainer.experiment_name', 'trainer.nnodes', 'trainer.n_gpus_per_node', 'trainer.val_before_train',
];
