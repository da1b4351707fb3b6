// How long an AlphaAlign step will take on this adapter, before Start: a short calibration on a
// one-layer slice of the model (its width, vocabulary and weight storage; one decoder layer, weights
// a cheap fixed pattern, so nothing need be downloaded), at the run's shapes, scaled to the step.
//
//   rollouts: ceil(S / GB) generation batches (S = prompts_per_step × num_generations), each a
//             prefill of the templated prompt and max_completion_length − 1 decode steps
//             (completions are assumed to run to the limit: the estimate is of a long step);
//   update:   num_iterations × ceil(S / B) micro-batches of forward + backward at the padded
//             length (prompt + completion), plus a forward each for the reference (beta > 0) and
//             the value pass (gae); one AdamW step per PPO epoch, timed on its own.
//
// The slice is timed with one layer; a phase's time is split between the layer and the rest (the
// embedding, final norm and lm_head) by their matmul work per token, and the layer's part is
// multiplied by the model's layers. The optimiser's time scales with the trainable parameters.
import type { Gpu } from '../gpu/gpu.ts';
import type { ModelConfig } from '../model/config.ts';
import { Generator } from '../model/generate.ts';
import { LlamaModel } from '../model/llama.ts';
import { weightsStorage } from '../model/loader.ts';
import { initialLoraWeights, LoraAdapter } from '../model/lora.ts';
import { loraParameterCount } from '../model/memoryPlanner.ts';
import { parameterCount, parameterSpecs } from '../model/parameters.ts';
import { LmTrainer, type TokenBatch } from '../train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../train/optimizer.ts';
import type { RlConfig } from './config.ts';
import type { RecipeModel } from './recipes.ts';

/** Sequence lengths of the trainer's update graphs are multiples of this (AlphaAlignTrainer's SEQ_BUCKET). */
const SEQ_BUCKET = 32;
/** Decode steps timed; their mean is a decode step's time. */
const CALIBRATION_DECODE_STEPS = 16;
/** A forward without its backward, as a share of forward + backward (the backward is two matmuls per one of the forward). */
const FORWARD_SHARE = 1 / 3;

export interface StepEstimate {
  /** About this long a step, in seconds. */
  seconds_per_step: number;
  /** max_steps of them (held-out evaluations not counted). */
  run_seconds: number;
  rollout_seconds: number;
  update_seconds: number;
  /** What the one-layer slice measured, for anyone checking the scaling. */
  calibration: {
    prefill_s: number;
    decode_step_s: number;
    micro_batch_s: number;
    optimizer_s: number;
    /** Full model over slice, for the per-token matmul work and for the trainable parameters. */
    layer_scale: number;
    optimizer_scale: number;
    seq_len: number;
    calibration_s: number;
  };
}

/** "about 12 s a step, 40 min for the run". */
export function estimateLine(estimate: Pick<StepEstimate, 'seconds_per_step' | 'run_seconds'>): string {
  return `about ${roundedSeconds(estimate.seconds_per_step)} a step, ${roundedSeconds(estimate.run_seconds)} for the run`;
}

function roundedSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return s >= 10 ? `${Math.round(s)} s` : `${s.toPrecision(2)} s`;
}

/** Matmul multiply-adds per token of one decoder layer (q, k, v, o, gate, up, down). */
function layerWork(c: ModelConfig): number {
  const { hiddenSize: C, intermediateSize: I, numHeads: NH, numKvHeads: NKV, headDim: hs } = c;
  return 2 * C * NH * hs + 2 * C * NKV * hs + 3 * C * I;
}

/**
 * Weights for the timing slice: the layout of parameterSpecs, norms 1, biases 0, matrices a fixed
 * small pattern (timing does not depend on the values; a pattern is quicker to make than random
 * normals for a 150 k vocabulary).
 */
function sliceWeights(config: ModelConfig): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const { name, shape } of parameterSpecs(config)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) values.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < values.length; i++) values[i] = 0.02 * (((Math.imul(i, 0x9e3779b1) >>> 0) / 2 ** 32) - 0.5);
    weights.set(name, values);
  }
  return weights;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Times `run` after a warm-up run (pipelines compiled, buffers made). */
async function timed(run: () => Promise<unknown>): Promise<number> {
  await run();
  const start = performance.now();
  await run();
  return seconds(start);
}

/**
 * The step-time estimate of `config` on `model` (its config, weight storage and templated prompt
 * length) on `gpu`, from a calibration of a few seconds on a real GPU (longer on a CPU adapter).
 */
export async function estimateStepTime(gpu: Gpu, model: Pick<RecipeModel, 'config' | 'frozenDtype' | 'promptTokens'>, config: RlConfig): Promise<StepEstimate> {
  const started = performance.now();
  const full = model.config;
  const slice: ModelConfig = { ...full, numLayers: 1 };
  const lora = config.finetune.kind === 'lora' ? config.finetune : null;
  const seqLen = Math.min(full.maxPositions, model.promptTokens + config.max_completion_length);
  const T = Math.min(full.maxPositions, Math.ceil(seqLen / SEQ_BUCKET) * SEQ_BUCKET);
  const B = config.per_device_train_batch_size;
  const GB = config.generation_batch_size;
  const promptTokens = Math.min(model.promptTokens, seqLen - 1);

  const sliceModel = LlamaModel.load(gpu, slice, sliceWeights(slice), weightsStorage({ dtype: model.frozenDtype }, lora !== null));
  if (lora) sliceModel.lora = new LoraAdapter(gpu, slice, lora, initialLoraWeights(slice, lora, 1));
  const ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 13) % full.vocabSize);
  try {
    // Rollouts: a prefill of the prompts with its first token; then, from one-token prompts (whose
    // prefill is a step like any other), a run of decode steps.
    const generator = new Generator(sliceModel, GB, seqLen);
    const decodeSteps = Math.max(1, Math.min(CALIBRATION_DECODE_STEPS, seqLen - 1));
    const generate = (promptLength: number, maxNewTokens: number) =>
      generator.generate(
        Array.from({ length: GB }, () => ids(promptLength)),
        { maxNewTokens, temperature: config.temperature, seed: 1, stopTokenIds: [] },
      );
    let prefill: number;
    let decodeStep: number;
    try {
      prefill = await timed(() => generate(promptTokens, 1));
      decodeStep = (await timed(() => generate(1, decodeSteps))) / decodeSteps;
    } finally {
      generator.release();
    }

    // The update: a micro-batch with its AdamW step, and the AdamW step alone (gradNorm reads back,
    // so the step has finished when it answers).
    const trainer = new LmTrainer(sliceModel, B, T, DEFAULT_OPTIMIZER);
    const tokens = ids(B * T);
    const batch: TokenBatch = { tokens, targets: [...tokens.slice(1), tokens[0]!], mask: tokens.map(() => 1) };
    let microBatch: number;
    let optimizer: number;
    try {
      const withOptimizer = await timed(() => trainer.step([batch]));
      optimizer = await timed(async () => {
        gpu.run(trainer.optimizer.step(), 'calibration optimizer');
        await trainer.optimizer.gradNorm();
      });
      microBatch = Math.max(withOptimizer - optimizer, withOptimizer / 2);
    } finally {
      trainer.release();
    }

    // Scaled from one layer to the model's: each phase's time split by matmul work per token.
    const head = full.hiddenSize * full.vocabSize;
    const layerScale = (head + full.numLayers * layerWork(full)) / (head + layerWork(full));
    const trainable = (c: ModelConfig) => (lora ? loraParameterCount(c, lora.rank, lora.targets) : parameterCount(c));
    const optimizerScale = trainable(full) / trainable(slice);

    const sequences = config.prompts_per_step * config.num_generations;
    const rollouts = Math.ceil(sequences / GB) * (prefill + Math.max(0, seqLen - promptTokens - 1) * decodeStep) * layerScale;
    const extraForwards = (config.beta > 0 ? 1 : 0) + (config.advantage_estimator === 'gae' ? 1 : 0);
    const microBatches = Math.ceil(sequences / B);
    const update = config.num_iterations * (microBatches * microBatch * (1 + extraForwards * FORWARD_SHARE) * layerScale + optimizer * optimizerScale);
    const perStep = rollouts + update;
    return {
      seconds_per_step: perStep,
      run_seconds: perStep * config.max_steps,
      rollout_seconds: rollouts,
      update_seconds: update,
      calibration: {
        prefill_s: prefill,
        decode_step_s: decodeStep,
        micro_batch_s: microBatch,
        optimizer_s: optimizer,
        layer_scale: layerScale,
        optimizer_scale: optimizerScale,
        seq_len: T,
        calibration_s: seconds(started),
      },
    };
  } finally {
    sliceModel.lora?.weights.release();
    sliceModel.weights.release();
    gpu.release(sliceModel.freqs);
    gpu.pool.trim();
  }
}
