// `lab bench model --shape NAME`: the engine on a real checkpoint's shape (src/model/knownShapes.ts)
// with random weights, nothing downloaded. Load time (the weights as a bf16 model.safetensors, as
// the Hub stores them, read, widened and put on the GPU), prefill and decode throughput, a LoRA
// training step, one AlphaAlign step of the demo preset's batch shape through the real RL trainer,
// and the memory planner's plan beside the buffer pool's measured peak. `layers` keeps the width
// and vocabulary with fewer decoder layers, so a CPU adapter can run it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importDataset } from '../data/import.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { initialWeights } from '../model/initialize.ts';
import { KNOWN_SHAPE_SOURCES, KNOWN_SHAPES, knownShapeConfig, type KnownShape } from '../model/knownShapes.ts';
import { LlamaModel } from '../model/llama.ts';
import { weightsStorage } from '../model/loader.ts';
import { DEFAULT_LORA, initialLoraWeights, LoraAdapter } from '../model/lora.ts';
import { parameterCount, parameterSpecs } from '../model/parameters.ts';
import { parseSafetensors, serializeSafetensors } from '../model/safetensors.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { parseRlConfig, type RlConfig } from '../rl/config.ts';
import { fittingPrompts } from '../rl/runSetup.ts';
import { AlphaAlignTrainer } from '../rl/trainer.ts';
import { LmTrainer } from '../train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../train/optimizer.ts';
import { seededRandom } from '../util/random.ts';
import { choiceOption, numberOption, UsageError } from './args.ts';
import { timeInference } from './benchModel.ts';
import { DEMO } from './trainCommand.ts';

/**
 * What a smaller run may change of the demo preset (demo-config.json gives the rest): its batch
 * shape, and the template, which sets most of a sequence's length.
 */
export type RlOverrides = Partial<Pick<RlConfig, 'prompts_per_step' | 'num_generations' | 'max_completion_length' | 'per_device_train_batch_size' | 'generation_batch_size' | 'template'>>;

export interface ShapeBenchOptions {
  /** Decoder layers to keep (default: the published number). */
  layers?: number;
  /** Prefill and LoRA training: B sequences of T tokens. */
  B?: number;
  T?: number;
  decodeSteps?: number;
  /** Timed runs of each phase after its warm-up run (median). */
  repeats?: number;
  /** Changes to the demo preset, to shrink the AlphaAlign step (tests, a CPU adapter). */
  rl?: RlOverrides;
  /**
   * How the AlphaAlign step trains: LoRA (default; the reference is the base with adapters off),
   * or all weights as the preset does, with a frozen copy of them for its KL term.
   */
  finetune?: 'lora' | 'full';
}

export interface ShapeBenchResult {
  shape: KnownShape;
  repo: string;
  config: {
    hidden: number;
    intermediate: number;
    layers: number;
    published_layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    vocab: number;
    parameters: number;
    batch: number;
    seqLen: number;
  };
  /** model.safetensors in bf16 (as published) read, widened to f32 and on the GPU. */
  load_s: number;
  /** The part of load_s that builds the model on the GPU from the f32 weights on the host (packed to bf16 for LoRA). */
  upload_s: number;
  load_bytes: number;
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  /** A LoRA step (forward, loss, backward, AdamW on the adapters) on batch × seqLen tokens. */
  lora_train_tokens_per_s: number;
  lora_train_step_s: number;
  lora: { rank: number; targets: string[] };
  /** One AlphaAlign step (rollouts, rewards, the PPO update) at the preset's batch shape. */
  alphaalign: {
    finetune: 'lora' | 'full';
    prompts: number;
    generations: number;
    max_completion_length: number;
    /** Prompt (template included) plus completion: the longest a sequence may be. */
    seq_len: number;
    /** The first step: pipelines compiled and buffers allocated on the way. */
    first_step_s: number;
    step_s: number;
    tokens_per_s: number;
  };
  /** The memory planner's total for the AlphaAlign run, and the buffer pool's peak after it. */
  memory: {
    planned_bytes: number;
    measured_peak_bytes: number;
    within_plan: boolean;
    /** The engine's default budget (a browser tab's share, Gpu.memoryBudgetBytes) and whether the plan fits it. */
    default_budget_bytes: number;
    fits_default_budget: boolean;
  };
}

/** The demo model's small BPE tokenizer: its ids fit every known shape's vocabulary. */
function demoTokenizer(): TextTokenizer {
  const read = (name: string) => JSON.parse(readFileSync(join(DEMO.model, name), 'utf8')) as Record<string, unknown>;
  return new TextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), join(DEMO.model, 'tokenizer.json'));
}

/**
 * A smaller step than the preset's keeps its micro-batch where that divides the step's sequences
 * (the trainer's rule), else takes the largest that does, and samples no more rows at once than
 * the step has; sizes asked for are kept.
 */
function batchesFor(preset: RlConfig, rl: RlOverrides): RlOverrides {
  const sequences = (rl.prompts_per_step ?? preset.prompts_per_step) * (rl.num_generations ?? preset.num_generations);
  let micro = Math.min(preset.per_device_train_batch_size, sequences);
  while (sequences % micro !== 0) micro--;
  return {
    per_device_train_batch_size: rl.per_device_train_batch_size ?? micro,
    generation_batch_size: rl.generation_batch_size ?? Math.min(preset.generation_batch_size, sequences),
  };
}

const seconds = (since: number) => (performance.now() - since) / 1000;

export async function benchShape(gpu: Gpu, shape: KnownShape, { layers, B = 8, T = 128, decodeSteps = 8, repeats = 2, rl = {}, finetune = 'lora' }: ShapeBenchOptions = {}): Promise<ShapeBenchResult> {
  const config = knownShapeConfig(shape, layers);
  const specs = parameterSpecs(config);
  // The file a checkpoint of this shape would be, in bf16; the f32 values it came from are let go.
  const bytes = serializeSafetensors(
    (() => {
      const values = initialWeights(config, 1);
      return specs.map(({ name, shape: dims }) => ({ name, shape: dims, data: values.get(name)! }));
    })(),
    'BF16',
  );

  // What a load does after reading the file: parse, widen to f32, upload.
  await gpu.sync();
  const loadStart = performance.now();
  const file = parseSafetensors(bytes, `${shape}/model.safetensors`);
  const weights = new Map(specs.map(({ name }) => [name, file.read(name)]));
  const uploadStart = performance.now();
  // As a checkpoint in bf16 loads for this run (weightsStorage): a base that LoRA trains on stays
  // bf16, one trained in full is f32.
  const model = LlamaModel.load(gpu, config, weights, weightsStorage({ dtype: 'bf16' }, finetune === 'lora'));
  await gpu.sync();
  const uploadSeconds = seconds(uploadStart);
  const loadSeconds = seconds(loadStart);
  // Full fine-tuning with the preset's KL term keeps a frozen copy of the weights, its reference.
  const reference = finetune === 'full' ? LlamaModel.load(gpu, config, weights, weightsStorage({ dtype: 'bf16' }, true)) : null;
  weights.clear();

  // The run may plan past the default budget (the figure reports whether it fits); the adapter's
  // binding limit still holds.
  const defaultBudget = gpu.memoryBudgetBytes;
  gpu.memoryBudgetBytes = Number.MAX_SAFE_INTEGER;
  try {
    // LoRA as the lab's defaults set it (PEFT's layout), on the frozen base.
    const lora = { ...DEFAULT_LORA, targets: [...DEFAULT_LORA.targets] };
    const attachLora = () => (model.lora = new LoraAdapter(gpu, config, lora, initialLoraWeights(config, lora, 2)));
    if (finetune === 'lora') attachLora();

    // First the AlphaAlign step, so the pool's peak after it is the run the plan is for.
    const preset = JSON.parse(readFileSync(DEMO.config, 'utf8')) as Record<string, unknown>;
    const rlConfig = parseRlConfig({ ...preset, ...rl, ...batchesFor(parseRlConfig(preset), rl), finetune: finetune === 'lora' ? { kind: 'lora', ...lora } : { kind: 'full' } });
    const tokenizer = demoTokenizer();
    const rows = importDataset(readFileSync(DEMO.train, 'utf8'), DEMO.train).rows.slice(0, rlConfig.prompts_per_step);
    const fitting = fittingPrompts(rows, tokenizer, rlConfig, model.maxPositions, DEMO.train);
    const maxSeqLen = Math.min(model.maxPositions, fitting.longest + rlConfig.max_completion_length);
    const trainer = new AlphaAlignTrainer(model, tokenizer, rlConfig, maxSeqLen, rlConfig.beta > 0 ? reference : null);
    const first = await trainer.train(fitting.rows);
    const second = await trainer.train(fitting.rows);
    const plannedBytes = trainer.plan.totalBytes;
    const measuredPeak = gpu.pool.stats().peakBytes;
    trainer.release();
    if (reference) {
      reference.weights.release();
      gpu.release(reference.freqs);
    }
    gpu.pool.trim();

    const random = seededRandom(3);
    const tokens = Array.from({ length: B * T }, () => Math.floor(random() * config.vocabSize));
    const loraAdapter = model.lora ?? attachLora();
    const lmTrainer = new LmTrainer(model, B, T, DEFAULT_OPTIMIZER);
    const batch = { tokens, targets: [...tokens.slice(1), tokens[0]!], mask: tokens.map(() => 1) };
    const stepTimes: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const start = performance.now();
      await lmTrainer.step([batch]); // reads the loss back: the step has finished
      if (r > 0) stepTimes.push(seconds(start)); // the first run warms up
    }
    const loraStepSeconds = [...stepTimes].sort((a, b) => a - b)[stepTimes.length >> 1]!;
    lmTrainer.release();
    loraAdapter.weights.release();
    model.lora = null;
    gpu.pool.trim();

    // Inference on the base alone.
    const { prefillSeconds, decodeSeconds } = await timeInference(model, tokens, B, T, decodeSteps, repeats);
    model.weights.release();
    gpu.release(model.freqs);
    gpu.pool.trim();

    return {
      shape,
      repo: KNOWN_SHAPE_SOURCES[shape].repo,
      config: {
        hidden: config.hiddenSize,
        intermediate: config.intermediateSize,
        layers: config.numLayers,
        published_layers: knownShapeConfig(shape).numLayers,
        heads: config.numHeads,
        kvHeads: config.numKvHeads,
        headDim: config.headDim,
        vocab: config.vocabSize,
        parameters: parameterCount(config),
        batch: B,
        seqLen: T,
      },
      load_s: loadSeconds,
      upload_s: uploadSeconds,
      load_bytes: bytes.byteLength,
      prefill_tokens_per_s: (B * T) / prefillSeconds,
      decode_tokens_per_s: (B * decodeSteps) / decodeSeconds,
      lora_train_tokens_per_s: (B * T) / loraStepSeconds,
      lora_train_step_s: loraStepSeconds,
      lora: { rank: DEFAULT_LORA.rank, targets: [...DEFAULT_LORA.targets] },
      alphaalign: {
        prompts: rlConfig.prompts_per_step,
        generations: rlConfig.num_generations,
        max_completion_length: rlConfig.max_completion_length,
        finetune,
        seq_len: maxSeqLen,
        first_step_s: first.metrics.step_time_s,
        step_s: second.metrics.step_time_s,
        tokens_per_s: second.metrics.tokens_per_second,
      },
      memory: {
        planned_bytes: plannedBytes,
        measured_peak_bytes: measuredPeak,
        within_plan: measuredPeak <= plannedBytes,
        default_budget_bytes: defaultBudget,
        fits_default_budget: plannedBytes <= defaultBudget,
      },
    };
  } finally {
    gpu.memoryBudgetBytes = defaultBudget;
  }
}

/** A `bench model --shape` run as the command line asks for it. */
export interface ShapeBenchRequest {
  shape: KnownShape;
  options: ShapeBenchOptions;
}

type ArgValues = Record<string, string | boolean | undefined>;

/** The options only `--shape` takes, as `bench` parses them. */
const SHAPE_ONLY = ['layers', 'batch', 'seq', 'prompts', 'generations', 'completion-tokens', 'template', 'finetune'] as const;

/** `bench`'s options read into a shape run, or null without --shape; mistakes are UsageErrors naming the option. */
export function shapeBenchRequest(suite: string, values: ArgValues): ShapeBenchRequest | null {
  const given = SHAPE_ONLY.filter((name) => values[name] !== undefined);
  if (values.shape === undefined) {
    if (given.length) throw new UsageError(`--${given[0]} goes with --shape: bench model --shape NAME --${given[0]} ...`);
    return null;
  }
  if (suite !== 'model') throw new UsageError(`--shape is an option of bench model, not bench ${suite}`);
  const shape = choiceOption(values, 'shape', KNOWN_SHAPES, KNOWN_SHAPES[0]);
  const published = knownShapeConfig(shape).numLayers;
  const int = (name: string, max = 65536) => (values[name] === undefined ? undefined : numberOption(values, name, 0, { min: 1, max, integer: true }));
  const rl: RlOverrides = {};
  const prompts = int('prompts');
  const generations = int('generations');
  const completion = int('completion-tokens');
  if (prompts !== undefined) rl.prompts_per_step = prompts;
  if (generations !== undefined) rl.num_generations = generations;
  if (completion !== undefined) rl.max_completion_length = completion;
  if (typeof values.template === 'string') rl.template = values.template;
  const options: ShapeBenchOptions = { rl };
  if (values.finetune !== undefined) options.finetune = choiceOption(values, 'finetune', ['lora', 'full'] as const, 'lora');
  const layers = int('layers', published);
  const B = int('batch');
  const T = int('seq');
  if (layers !== undefined) options.layers = layers;
  if (B !== undefined) options.B = B;
  if (T !== undefined) options.T = T;
  return { shape, options };
}
