// The pieces of an RL run that the CLI (`lab train`) and the page's training worker share: the
// evaluation settings of a config, which prompts fit the model's context, the policy (with LoRA
// and a frozen reference when needed) and the checkpoint a run writes. One copy, two drivers.
import type { PromptRow } from '../data/schema.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { LlamaModel } from '../model/llama.ts';
import { initialLoraWeights, LoraAdapter } from '../model/lora.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import { REFERENCE_FILE, VALUE_HEAD_FILE, type CheckpointContents, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { weightsStorage } from '../model/loader.ts';
import { APP_VERSION } from '../version.ts';
import type { RlConfig } from './config.ts';
import type { EvalReport, EvalSettings } from './evaluation.ts';
import type { RefusalClassifier } from './refusalClassifier.ts';
import { makeRefusalJudge, type RefusalModel } from './refusalJudge.ts';
import { stepsWithoutLearningSignal, type StepMetrics } from './metrics.ts';
import { promptIds } from './prompting.ts';
import type { AlphaAlignTrainer } from './trainer.ts';

/**
 * The evaluation's settings; `classifier` is needed when config.eval_judge is "combined", the
 * user's `refusalModel` when it is "onnx" (throws otherwise).
 */
export function evalSettings(config: RlConfig, classifier: RefusalClassifier | null, refusalModel: RefusalModel | null = null): EvalSettings {
  return {
    template: config.template,
    format: config.format,
    judge: makeRefusalJudge(config.eval_judge, config.refusal_rules, classifier, refusalModel),
    reasoningRules: config.reasoning_rules,
    maxNewTokens: config.max_completion_length,
    stopStrings: config.stop_strings,
    batch: config.generation_batch_size,
  };
}

export class NoFittingPromptError extends RangeError {
  override name = 'NoFittingPromptError';
}

export interface FittingPrompts {
  rows: PromptRow[];
  /** The longest kept prompt with the template, in tokens. */
  longest: number;
  /** How many prompts were left out for leaving no room for a completion. */
  dropped: number;
  /** The most prompt tokens a kept prompt may have. */
  limit: number;
}

/** The prompts that leave room for a completion in the model's context; throws when none does. */
export function fittingPrompts(rows: readonly PromptRow[], tokenizer: TextTokenizer, config: RlConfig, maxPositions: number, what: string): FittingPrompts {
  const limit = maxPositions - config.max_completion_length;
  const lengths = rows.map((r) => promptIds(tokenizer, config.template, r.prompt).length);
  const kept = rows.filter((_, i) => lengths[i]! <= limit);
  if (kept.length === 0) {
    throw new NoFittingPromptError(`${what}: no prompt fits the model's ${maxPositions} positions with ${config.max_completion_length} new tokens; shorten the template or max_completion_length`);
  }
  return { rows: kept, longest: Math.max(...lengths.filter((l) => l <= limit)), dropped: rows.length - kept.length, limit };
}

/** A run cannot continue exactly from this checkpoint; the message names the problem and the way out. */
export class ResumeError extends Error {
  override name = 'ResumeError';
}

/** The model that trains, and the frozen reference of the KL term when it needs a copy of its own. */
export interface Policy {
  model: LlamaModel;
  reference: LlamaModel | null;
}

/**
 * The policy on the GPU: the checkpoint's weights, its adapter or fresh LoRA, and the reference.
 * The reference is the run's base. A new run starts from the loaded weights, so they are its
 * base. A resumed run (`resume`, with the optimiser state to continue from, as resumeTrainer
 * takes it) loaded step N's weights: with full fine-tuning the base is the copy the checkpoint
 * saved beside them; with LoRA it is the policy with its adapters off, and the checkpoint's
 * base weights are the run's base, since only an unmerged adapter keeps its optimiser state.
 */
export function buildPolicy(gpu: Gpu, loaded: LoadedCheckpoint, config: RlConfig, resume: boolean): Policy {
  const lora = loaded.adapter !== null || config.finetune.kind === 'lora';
  const continues = resume && loaded.optimizer !== null;
  const referenceCopy = config.beta > 0 && !lora;
  if (continues) checkResumable(loaded, config, referenceCopy);
  // A LoRA run's base is frozen: it keeps the checkpoint's 16 bits, as does the reference copy.
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights, weightsStorage(loaded, lora));
  if (loaded.adapter) model.lora = new LoraAdapter(gpu, loaded.config, loaded.adapter.settings, loaded.adapter.weights);
  else if (config.finetune.kind === 'lora') model.lora = new LoraAdapter(gpu, loaded.config, config.finetune, initialLoraWeights(loaded.config, config.finetune, config.seed));
  const reference = referenceCopy ? LlamaModel.load(gpu, loaded.config, continues ? loaded.reference! : loaded.weights, weightsStorage(loaded, true)) : null;
  return { model, reference };
}

/** Refuses, before anything is allocated, a resume that could not continue the run exactly. */
function checkResumable(loaded: LoadedCheckpoint, config: RlConfig, referenceCopy: boolean): void {
  const at = `the checkpoint at step ${loaded.run?.step ?? '?'}`;
  if (referenceCopy && !loaded.reference) {
    throw new ResumeError(
      `${at} holds no reference policy (${REFERENCE_FILE}) for the KL term: it comes from a run with beta 0 or from an older version of the lab, ` +
        `and its weights are that step's, not the base's. Resume with beta 0, or start a new run from it (its weights become the reference)`,
    );
  }
  if (config.advantage_estimator === 'gae' && !loaded.valueHead) {
    throw new ResumeError(
      `${at} holds no value head (${VALUE_HEAD_FILE}) for advantage_estimator "gae": it comes from a run with another estimator or from an older version of the lab. ` +
        `Resume with the run's estimator, or start a new run from it (with a fresh value head)`,
    );
  }
}

/** Continues a run from a checkpoint's optimiser state and step (and its value head), when it has them. */
export function resumeTrainer(trainer: AlphaAlignTrainer, loaded: LoadedCheckpoint): void {
  if (!loaded.optimizer) return;
  trainer.optimizer.importState(loaded.optimizer);
  trainer.step = loaded.run?.step ?? 0;
  if (trainer.valueHead && loaded.valueHead) trainer.valueHead.restore(loaded.valueHead, VALUE_HEAD_FILE);
}

export interface RunDescription {
  config: RlConfig;
  dataset: string;
  datasetSha256: string;
  metrics: readonly StepMetrics[];
  eval: EvalReport | null;
  /** Anything else the driver records (the eval before training, the base model's label). */
  extra?: Record<string, unknown>;
}

/** What a checkpoint of the run holds now: weights (or adapter), optimiser moments, the reference when it is a copy, the value head, and the run record. */
export async function runCheckpoint(policy: Policy, trainer: AlphaAlignTrainer, loaded: LoadedCheckpoint, run: RunDescription): Promise<CheckpointContents> {
  const { model, reference } = policy;
  return {
    config: loaded.config,
    // A LoRA run's base never changes: the loaded weights are it, without reading a GPU copy back.
    weights: model.lora ? loaded.weights : await model.weights.download(),
    rawFiles: loaded.rawFiles,
    dtype: 'F32',
    storedDtypes: loaded.storedDtypes,
    run: {
      ...run.extra,
      appVersion: APP_VERSION,
      step: trainer.step,
      seed: run.config.seed,
      kind: 'alphaalign',
      config: run.config,
      dataset: run.dataset,
      dataset_sha256: run.datasetSha256,
      metrics: run.metrics,
      steps_without_learning_signal: stepsWithoutLearningSignal(run.metrics).length,
      eval: run.eval,
    },
    optimizer: await trainer.optimizer.exportState(),
    ...(model.lora ? { adapter: { settings: model.lora.settings, weights: await model.lora.weights.download(), layout: 'beside-base' } } : {}),
    ...(reference ? { reference: await reference.weights.download() } : {}),
    ...(trainer.valueHead ? { valueHead: await trainer.valueHead.save() } : {}),
  };
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
