// `lab plan`: the memory planner on a model's config.json alone, so a run can be planned before
// its weights are downloaded and without a GPU. The adapter's limits are options (WebGPU's
// guaranteed binding size and the engine's default budget unless given).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TensorDtype } from '../gpu/gpu.ts';
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { checkLoraSettings, DEFAULT_LORA, LoraSettingsError, type LoraTarget } from '../model/lora.ts';
import { gib, planMemory, type MemoryLimits, type MemoryPlan, type RunShape } from '../model/memoryPlanner.ts';
import { parameterCount } from '../model/parameters.ts';
import { numberOption, UsageError } from './args.ts';

/** The engine's default memory budget (Gpu.memoryBudgetBytes): WebGPU does not report a GPU's memory. */
const DEFAULT_BUDGET_GIB = 4;
/** WebGPU's default maxStorageBufferBindingSize, which every adapter grants. */
const DEFAULT_MAX_BINDING_MIB = 128;

/**
 * How the checkpoint stores its weights, as config.json says (`torch_dtype`, transformers 5's
 * `dtype`): a frozen base keeps them so on the GPU. f32 when it says nothing or another type.
 */
export function storedDtype(json: unknown): TensorDtype {
  const fields = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const named = fields.torch_dtype ?? fields.dtype;
  return named === 'bfloat16' ? 'bf16' : named === 'float16' ? 'f16' : 'f32';
}

/** config.json of a model folder, or the file itself, and the dtype it says the weights have. */
function readConfig(path: string): { config: ModelConfig; dtype: TensorDtype } {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'config.json') : path;
  if (!existsSync(file)) throw new UsageError(`${file} does not exist: pass a model folder holding config.json, or the config.json itself`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  return { config: parseModelConfig(json, file), dtype: storedDtype(json) };
}

/** Whether some weights are frozen: LoRA's base, or full fine-tuning's reference copy. */
const frozen = (run: RunShape) => run.finetune.kind === 'lora' || run.referenceCopy;

/** The plan as `lab plan --json` prints it: sizes in bytes, names in snake_case. */
export function planReport(config: ModelConfig, run: RunShape, limits: MemoryLimits, plan: MemoryPlan) {
  return {
    model: {
      architecture: config.architecture,
      parameters: parameterCount(config),
      layers: config.numLayers,
      hidden_size: config.hiddenSize,
      head_dim: config.headDim,
      vocab_size: config.vocabSize,
    },
    run: {
      batch: run.batch,
      seq: run.seqLen,
      finetune: run.finetune.kind,
      ...(run.finetune.kind === 'lora' ? { lora_rank: run.finetune.rank, lora_targets: run.finetune.targets } : {}),
      generation_batch: run.generationBatch,
      reference_copy: run.referenceCopy,
    },
    limits: { budget_bytes: limits.budgetBytes, max_storage_buffer_binding_size: limits.maxStorageBufferBindingSize },
    trainable_parameters: plan.trainableParameters,
    parts: Object.fromEntries(plan.parts.map((p) => [p.name, p.bytes])),
    largest_buffer: plan.largestBuffer,
    logits_chunk_columns: plan.logitsChunkColumns,
    // What the planner chose for this run.
    // frozen_weights_dtype: how LoRA's base or the reference copy is stored; null when all trains.
    options: { recompute: plan.recompute, frozen_weights_dtype: frozen(run) ? plan.frozenDtype : null, logits_chunk_columns: plan.logitsChunkColumns },
    peak_bytes: plan.totalBytes,
    fits: plan.ok,
    problem: plan.problem,
  };
}

export async function planCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      batch: { type: 'string' },
      seq: { type: 'string' },
      lora: { type: 'boolean', default: false },
      'lora-rank': { type: 'string' },
      'lora-targets': { type: 'string' },
      'generation-batch': { type: 'string' },
      'reference-copy': { type: 'boolean', default: false },
      'budget-gib': { type: 'string' },
      'max-binding-mib': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (typeof values.model !== 'string' || values.model === '') throw new UsageError('--model is required (a model folder or its config.json)');
  const { config, dtype } = readConfig(values.model);
  const batch = numberOption(values, 'batch', 8, { min: 1, integer: true });
  const seqLen = numberOption(values, 'seq', 256, { min: 1, integer: true });
  const useLora = values.lora || values['lora-rank'] !== undefined || values['lora-targets'] !== undefined;
  const rank = numberOption(values, 'lora-rank', DEFAULT_LORA.rank, { min: 1, max: 512, integer: true });
  const targets = typeof values['lora-targets'] === 'string' ? (values['lora-targets'].split(',') as LoraTarget[]) : DEFAULT_LORA.targets;
  if (useLora) {
    try {
      checkLoraSettings({ ...DEFAULT_LORA, rank, targets });
    } catch (error) {
      if (error instanceof LoraSettingsError) throw new UsageError(error.message);
      throw error;
    }
  }
  const run: RunShape = {
    batch,
    seqLen,
    finetune: useLora ? { kind: 'lora', rank, targets } : { kind: 'full' },
    generationBatch: numberOption(values, 'generation-batch', 0, { min: 0, integer: true }),
    generationLen: seqLen,
    // Full fine-tuning with a KL term keeps a frozen copy; LoRA's reference is the base itself.
    referenceCopy: values['reference-copy'] && !useLora,
    // LoRA's base and the reference copy are frozen: they keep the checkpoint's dtype.
    frozenDtype: dtype,
  };
  const limits: MemoryLimits = {
    budgetBytes: numberOption(values, 'budget-gib', DEFAULT_BUDGET_GIB, { min: 0 }) * 2 ** 30,
    maxStorageBufferBindingSize: numberOption(values, 'max-binding-mib', DEFAULT_MAX_BINDING_MIB, { min: 1 }) * 2 ** 20,
  };
  const plan = planMemory(config, run, limits);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(planReport(config, run, limits, plan), null, 2)}\n`);
    return;
  }
  const finetune = run.finetune.kind === 'lora' ? `LoRA rank ${rank} on ${targets.join(',')}` : 'full fine-tuning';
  const lines = [
    `${config.architecture}, ${(parameterCount(config) / 1e6).toFixed(1)} M parameters; batch ${batch} × ${seqLen} tokens, ${finetune}`,
    ...plan.parts.map((p) => `  ${p.name.padEnd(30)} ${gib(p.bytes).padStart(11)}`),
    `  ${'peak'.padEnd(30)} ${gib(plan.totalBytes).padStart(11)}   (budget ${gib(limits.budgetBytes)})`,
    `  options: ${plan.recompute ? 'recompute each layer\'s activations in the backward' : 'keep every layer\'s activations'}, ` +
      `frozen weights ${frozen(run) ? plan.frozenDtype : 'none (all train, in f32)'}, logits chunk of ${plan.logitsChunkColumns} columns`,
    `  largest buffer: ${plan.largestBuffer.name}, ${gib(plan.largestBuffer.bytes)} (binding limit ${gib(limits.maxStorageBufferBindingSize)})`,
    plan.ok ? 'fits' : `does not fit: ${plan.problem}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
