// Adds up what a run will put on the GPU before anything is allocated: weights, gradients,
// optimiser state, saved activations, one chunk of logits and the KV cache. Over budget, it
// plans per-layer activation recomputation (only each layer's input residual kept; the layer's
// forward run again before its backward) before it refuses. WebGPU does not
// report how much memory a GPU has, so the total is checked against a budget (the user's, or a
// conservative default) and every single buffer against the adapter's binding limit; a refusal
// names the numbers and the ways out.
import type { ModelConfig } from './config.ts';
import { LORA_TARGETS, targetShape, type LoraTarget } from './lora.ts';
import type { TensorDtype } from '../gpu/gpu.ts';
import { parameterCount, parameterSpecs } from './parameters.ts';

export interface RunShape {
  batch: number; // B sequences per training micro-batch
  seqLen: number; // T tokens per sequence (prompt + completion)
  finetune: { kind: 'full' } | { kind: 'lora'; rank: number; targets: readonly LoraTarget[] };
  /** Sequences decoded at once and their longest length, for rollouts; 0 for no generation. */
  generationBatch: number;
  generationLen: number;
  /** A frozen copy of the weights for the KL term (full fine-tuning with beta > 0). */
  referenceCopy: boolean;
  /**
   * How the frozen weights (LoRA's base, the reference copy) store their matrices: the
   * checkpoint's 'bf16' / 'f16' (LlamaModel.load's dtype) or 'f32', the default. What trains is f32.
   */
  frozenDtype?: TensorDtype;
  /**
   * Greedy evaluation during the run (RL's before-training and periodic evals): its own
   * generator of the same batch beside the rollouts', whose buffers stay pooled for the next.
   */
  evaluation?: boolean;
}

export interface MemoryLimits {
  budgetBytes: number;
  maxStorageBufferBindingSize: number;
}

export interface MemoryPlan {
  parts: { name: string; bytes: number }[];
  /** Recompute each layer's activations in the backward (Activations' recompute): chosen when keeping them all is over budget. */
  recompute: boolean;
  /** How the frozen weights are stored (RunShape's frozenDtype). */
  frozenDtype: TensorDtype;
  /** Vocabulary columns of one chunk of training logits (VocabularyHead): V when they all fit at once. */
  logitsChunkColumns: number;
  totalBytes: number;
  largestBuffer: { name: string; bytes: number };
  trainableParameters: number;
  ok: boolean;
  /** Why the plan does not fit and what to change; null when it fits. */
  problem: string | null;
}

const F32 = 4;

/**
 * WebGPU's largest minStorageBufferOffsetAlignment (every adapter's is at most this): a view of a
 * tensor's rows binds at a multiple of it.
 */
export const BINDING_OFFSET_ALIGNMENT = 256;

/** 4-byte values per token of the loss's own buffers (AlphaAlignTrainer's UpdateGraph.t and the token ids). */
const PER_TOKEN_LOSS_VALUES = 24;

/** Positions a model's RoPE table covers at most (LlamaModel.freqs): the config's context, capped to keep it small. */
export const MAX_ROPE_POSITIONS = 8192;

/** What one chunk of training logits (and, in place, their gradient) may take. */
export const LOGITS_CHUNK_BYTES = 32 * 2 ** 20;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The vocabulary columns Vc of one chunk of logits for `rows` rows: all V when (rows, V) fits in
 * maxChunkBytes, else the most that fit, a multiple of the rows of lm_head (C wide) that fill
 * BINDING_OFFSET_ALIGNMENT bytes stored 16-bit (so also f32), so every chunk's rows of lm_head
 * can be bound, packed or not; at least one such group.
 */
export function logitsChunkColumns(V: number, C: number, rows: number, maxChunkBytes = LOGITS_CHUNK_BYTES): number {
  const fit = Math.floor(maxChunkBytes / (rows * F32));
  if (fit >= V) return V;
  const group = BINDING_OFFSET_ALIGNMENT / gcd(C * 2, BINDING_OFFSET_ALIGNMENT);
  return Math.min(V, Math.max(group, fit - (fit % group)));
}

export function loraParameterCount(config: ModelConfig, rank: number, targets: readonly LoraTarget[]): number {
  // A (rank, in) and B (out, rank) per target per layer.
  return config.numLayers * targets.reduce((sum, t) => sum + rank * (targetShape(config, t)[0] + targetShape(config, t)[1]), 0);
}

/** f32 values one layer saves per token for its backward (with LoRA, x·Aᵀ of every adapter too). */
function activationsPerToken(config: ModelConfig, finetune: RunShape['finetune']): number {
  const { hiddenSize: C, intermediateSize: I, numHeads: NH, numKvHeads: NKV, headDim: hs } = config;
  // residual in, ln1, q, k, v, q and k after RoPE, attention out, residual mid, ln2,
  // gate, up, SwiGLU out, and two rstd values.
  const common = C + C + NH * hs + 2 * NKV * hs + NH * hs + NKV * hs + NH * hs + C + C + 3 * I + 2;
  // Qwen3's per-head norms keep q and k normalised and one rstd per head.
  const qkNorm = config.qkNorm ? NH * hs + NKV * hs + NH + NKV : 0;
  const lora = finetune.kind === 'lora' ? finetune.rank * finetune.targets.length : 0;
  return common + qkNorm + lora;
}

/**
 * f32 values of the backward's scratch per token (BackwardScratch: one set shared by every
 * layer): the residual's and a norm's gradient, the MLP's three, attention's six, Qwen3's two
 * normed, LoRA's hidden gradient, and the token grouping of the embedding's backward (3 u32).
 */
function backwardScratchPerToken(config: ModelConfig, run: RunShape): number {
  const { hiddenSize: C, intermediateSize: I, numHeads: NH, numKvHeads: NKV, headDim: hs } = config;
  const qkNorm = config.qkNorm ? NH * hs + NKV * hs : 0;
  const lora = run.finetune.kind === 'lora' ? run.finetune.rank : 0;
  return 2 * C + 3 * I + 3 * NH * hs + 3 * NKV * hs + qkNorm + lora + 3;
}

/**
 * f32 values of a generation graph of `tokens` new tokens per sequence (GB sequences, keys up to
 * generationLen): only run forward, its layers share one set of activations (Activations'
 * layers: 'forward').
 */
function generationActivations(config: ModelConfig, run: Pick<RunShape, 'generationBatch' | 'generationLen' | 'finetune'>, tokens: number): number {
  const { hiddenSize: C, numHeads: NH, vocabSize: V } = config;
  const GB = run.generationBatch;
  if (GB === 0) return 0;
  const oneLayer = GB * tokens * activationsPerToken(config, run.finetune) + GB * NH * tokens * run.generationLen;
  return oneLayer + 2 * GB * tokens * C + GB * V;
}

/**
 * Bytes of a generator's prefill graph for prompts of `tokens` tokens (as planned: the plan counts
 * one at generationLen). A generator that keeps prefill graphs of several prompt lengths keeps
 * them within that one's bytes.
 */
export function prefillGraphBytes(config: ModelConfig, run: Pick<RunShape, 'generationBatch' | 'generationLen' | 'finetune'>, tokens: number): number {
  return generationActivations(config, run, tokens) * F32;
}

/**
 * f32 values of the training forward's saved activations: every layer's, or with recomputation
 * every layer's input residual and one layer's set, which the layers share.
 */
function trainingActivations(config: ModelConfig, run: RunShape, recompute: boolean): number {
  const { hiddenSize: C, numHeads: NH, numLayers: L } = config;
  const BT = run.batch * run.seqLen;
  // A layer's attention probabilities (B, NH, T, T), and as much again for their gradient.
  const perLayer = BT * activationsPerToken(config, run.finetune) + 2 * run.batch * NH * run.seqLen * run.seqLen;
  const layers = recompute ? L * BT * C + perLayer - BT * C : L * perLayer;
  // The final residual and a projection's output.
  return layers + 2 * BT * C;
}

/** Bytes of the model's weights with their matrices stored as `dtype` (norms and biases stay f32). */
function weightBytes(config: ModelConfig, dtype: TensorDtype): number {
  const matrixBytes = dtype === 'f32' ? F32 : 2;
  return parameterSpecs(config).reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1) * (shape.length === 2 ? matrixBytes : F32), 0);
}

export function planMemory(config: ModelConfig, run: RunShape, limits: MemoryLimits): MemoryPlan {
  const kept = planWith(config, run, limits, false);
  return kept.totalBytes <= limits.budgetBytes ? kept : planWith(config, run, limits, true);
}

/**
 * The parts of one update graph (a training micro-batch's buffers at run.seqLen tokens): saved
 * activations, backward scratch, per-token loss buffers, a chunk of logits, and with a reference
 * copy its forward's activations. A trainer that keeps graphs of several lengths keeps them
 * within these parts' total at the longest length, which is what the plan counts.
 */
function updateGraphParts(config: ModelConfig, run: RunShape, limits: MemoryLimits, recompute: boolean): { name: string; bytes: number }[] {
  const { vocabSize: V, hiddenSize: C, numHeads: NH } = config;
  const BT = run.batch * run.seqLen;
  const chunkColumns = logitsChunkColumns(V, C, BT, Math.min(LOGITS_CHUNK_BYTES, limits.maxStorageBufferBindingSize));
  return [
    { name: 'activations', bytes: trainingActivations(config, run, recompute) * F32 },
    { name: 'backward scratch', bytes: BT * backwardScratchPerToken(config, run) * F32 },
    // Token ids, targets, weights, log-probs (the policy's, the sampling and the reference
    // policy's), lse, entropy, advantages, the loss, its four statistics and its gradient: at
    // most PER_TOKEN_LOSS_VALUES per token (the RL update's; SFT needs fewer).
    { name: 'per-token loss buffers', bytes: BT * PER_TOKEN_LOSS_VALUES * F32 },
    // One chunk of vocabulary columns, its gradient in place, and each row's log-sum-exp state.
    { name: 'logits chunk', bytes: BT * (chunkColumns + 4) * F32 },
    // The reference copy's log-probs come from its own forward (Activations' layers: 'forward': one
    // layer's set shared by all, one layer's attention probabilities, the final residual, norm and
    // a projection's output).
    {
      name: 'reference activations',
      bytes: run.referenceCopy && run.finetune.kind === 'full' ? (BT * activationsPerToken(config, run.finetune) + run.batch * NH * run.seqLen * run.seqLen + 3 * BT * C) * F32 : 0,
    },
  ];
}

/** Bytes of one update graph at run.seqLen tokens, planned as planMemory plans it (recompute: the plan's choice). */
export function updateGraphBytes(config: ModelConfig, run: RunShape, limits: MemoryLimits, recompute: boolean): number {
  return updateGraphParts(config, run, limits, recompute).reduce((sum, part) => sum + part.bytes, 0);
}

function planWith(config: ModelConfig, run: RunShape, limits: MemoryLimits, recompute: boolean): MemoryPlan {
  const { vocabSize: V, hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, numLayers: L } = config;
  const BT = run.batch * run.seqLen;
  const chunkColumns = logitsChunkColumns(V, C, BT, Math.min(LOGITS_CHUNK_BYTES, limits.maxStorageBufferBindingSize));
  const base = parameterCount(config);
  const trainable = run.finetune.kind === 'full' ? base : loraParameterCount(config, run.finetune.rank, run.finetune.targets);
  const frozenDtype = run.frozenDtype ?? 'f32';

  const parts = [
    { name: 'weights', bytes: run.finetune.kind === 'lora' ? weightBytes(config, frozenDtype) + trainable * F32 : base * F32 },
    { name: 'reference weights', bytes: run.referenceCopy && run.finetune.kind === 'full' ? weightBytes(config, frozenDtype) : 0 },
    { name: 'gradients', bytes: trainable * F32 },
    { name: 'optimiser state', bytes: 2 * trainable * F32 },
    ...updateGraphParts(config, run, limits, recompute),
    // Each model's (the policy's, and the reference copy's) cos/sin table: (positions, hs/2, 2).
    { name: 'RoPE tables', bytes: (run.referenceCopy && run.finetune.kind === 'full' ? 2 : 1) * Math.min(config.maxPositions, MAX_ROPE_POSITIONS) * hs * F32 },
    { name: 'KV cache', bytes: 2 * L * run.generationBatch * run.generationLen * NKV * hs * F32 },
    // A prefill's activations: every prompt token of the generation batch, keys up to
    // generationLen, the final residual and a projection's output, and the last rows' logits.
    { name: 'prefill activations', bytes: generationActivations(config, run, run.generationLen) * F32 },
    // The decode step's: one token per sequence, attending to the whole cache.
    { name: 'decode activations', bytes: generationActivations(config, run, 1) * F32 },
    {
      name: 'evaluation generator',
      bytes: run.evaluation ? (2 * L * run.generationBatch * run.generationLen * NKV * hs + generationActivations(config, run, run.generationLen) + generationActivations(config, run, 1)) * F32 : 0,
    },
  ].filter((p) => p.bytes > 0);
  const totalBytes = parts.reduce((s, p) => s + p.bytes, 0);

  const buffers = [
    { name: 'logits chunk', bytes: BT * chunkColumns * F32 },
    // The embedding and lm_head are stored as row blocks within the binding cap; every other
    // weight is one buffer, the largest an MLP projection.
    { name: 'largest projection weight', bytes: config.intermediateSize * C * F32 },
    { name: 'attention probabilities of one layer', bytes: run.batch * NH * run.seqLen * run.seqLen * F32 },
    { name: 'decode logits', bytes: run.generationBatch * V * F32 },
    { name: 'prefill attention probabilities of one layer', bytes: run.generationBatch * NH * run.generationLen * run.generationLen * F32 },
  ];
  const largestBuffer = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));

  const problems: string[] = [];
  if (totalBytes > limits.budgetBytes) {
    const ways = [];
    if (run.finetune.kind === 'full') {
      const saved = (base - loraParameterCount(config, 8, LORA_TARGETS)) * 3 * F32 + (run.referenceCopy ? base * F32 : 0);
      ways.push(`LoRA (rank 8 on all projections saves about ${gib(saved)})`);
    }
    if (run.batch > 1) ways.push(`a smaller batch (${run.batch} → ${Math.ceil(run.batch / 2)})`);
    if (run.seqLen > 64) ways.push(`shorter sequences (${run.seqLen} tokens → ${Math.ceil(run.seqLen / 2)})`);
    problems.push(
      `this run needs ${gib(totalBytes)} (${parts.map((p) => `${p.name} ${gib(p.bytes)}`).join(', ')}) ` +
        `but the memory budget is ${gib(limits.budgetBytes)}. Ways out: ${ways.join('; ') || 'a smaller model'}.`,
    );
  }
  if (largestBuffer.bytes > limits.maxStorageBufferBindingSize) {
    problems.push(
      `the ${largestBuffer.name} buffer needs ${gib(largestBuffer.bytes)} but this adapter binds at most ` +
        `${gib(limits.maxStorageBufferBindingSize)} per buffer: use a smaller batch or shorter sequences.`,
    );
  }
  return {
    parts,
    recompute,
    frozenDtype,
    logitsChunkColumns: chunkColumns,
    totalBytes,
    largestBuffer,
    trainableParameters: trainable,
    ok: problems.length === 0,
    problem: problems.length ? `Not enough GPU memory: ${problems.join(' Also, ')}` : null,
  };
}

export class MemoryPlanError extends Error {
  override name = 'MemoryPlanError';
}

/** Throws the plan's problem (numbers and ways out) when it does not fit; returns it otherwise. */
export function assertPlanFits(config: ModelConfig, run: RunShape, limits: MemoryLimits): MemoryPlan {
  const plan = planMemory(config, run, limits);
  if (!plan.ok) throw new MemoryPlanError(plan.problem!);
  return plan;
}

/** The line `lab sft` and `lab train` end with: the buffer pool's measured peak against the plan. */
export function peakLine(measuredBytes: number, plannedBytes: number): string {
  const verdict = measuredBytes <= plannedBytes ? 'within the plan' : `over the plan by ${gib(measuredBytes - plannedBytes)}`;
  return `GPU memory peak: measured ${gib(measuredBytes)}, planned ${gib(plannedBytes)} (${verdict})`;
}

export function gib(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
