// A Hugging Face config.json turned into the few numbers the engine needs, checked on the way:
// a missing field, a wrong type or a feature the kernels do not implement is refused with a
// message naming the file and the field, before anything is allocated.
import type { RopeScaling } from '../gpu/kernels/rope.ts';

export type Architecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM' | 'Qwen3ForCausalLM';
export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'];
const ARCHITECTURE_OF_MODEL_TYPE: Record<string, Architecture> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' };
/** The rope types the lab implements (Hugging Face's names), each with the models that use it. */
const SUPPORTED_ROPE_TYPES = '"default", "linear" and "llama3" (Llama 3.1/3.2)';

export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number; // V
  hiddenSize: number; // C
  intermediateSize: number; // the SwiGLU width
  numLayers: number; // L
  numHeads: number; // NH
  numKvHeads: number; // NKV; NH / NKV query heads share one key/value head
  headDim: number; // hs
  rmsNormEps: number;
  ropeTheta: number;
  /** rope_scaling / rope_parameters of type linear or llama3; null for plain RoPE. */
  ropeScaling: RopeScaling | null;
  maxPositions: number;
  tieWordEmbeddings: boolean; // lm_head reuses embed_tokens
  qkvBias: boolean; // Qwen2, or Llama with attention_bias
  outputBias: boolean; // Llama or Qwen3 with attention_bias also biases o_proj
  qkNorm: boolean; // Qwen3: an RMSNorm over each head's q and k (weights (hs)) before RoPE
  bosTokenId: number | null;
  eosTokenIds: number[];
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

type Json = Record<string, unknown>;

export function parseModelConfig(json: unknown, fileName = 'config.json'): ModelConfig {
  const fail = (problem: string): never => {
    throw new ModelConfigError(`${fileName}: ${problem}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('is not a JSON object');
  const raw = json as Json;

  const int = (key: string, fallback?: number): number => {
    const value = raw[key] ?? fallback;
    if (value === undefined) return fail(`the required field "${key}" is missing`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      return fail(`"${key}" must be a positive integer, not ${JSON.stringify(value)}`);
    }
    return value;
  };
  const positive = (key: string, fallback: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) return fail(`"${key}" must be a positive number, not ${JSON.stringify(value)}`);
    return value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'boolean') return fail(`"${key}" must be true or false, not ${JSON.stringify(value)}`);
    return value;
  };

  const architectures = raw.architectures;
  const architecture = Array.isArray(architectures) ? architectures[0] : ARCHITECTURE_OF_MODEL_TYPE[String(raw.model_type)];
  if (!SUPPORTED_ARCHITECTURES.includes(architecture as Architecture)) {
    fail(
      `architecture ${JSON.stringify(architecture ?? null)} is not supported; the lab runs ` +
        `${SUPPORTED_ARCHITECTURES.join(', ')} (Llama 2/3.x, SmolLM2, TinyLlama, Qwen2/2.5, Qwen3): pick a checkpoint of one of them`,
    );
  }
  const isQwen2 = architecture === 'Qwen2ForCausalLM';
  const isQwen3 = architecture === 'Qwen3ForCausalLM';

  const activation = raw.hidden_act ?? 'silu';
  if (activation !== 'silu') fail(`"hidden_act" is ${JSON.stringify(activation)}; the lab's MLP is SwiGLU with silu`);
  const rope = parseRope(raw, fail);
  if (bool('mlp_bias', false)) fail('"mlp_bias": true is not supported; the MLP projections have no bias');
  if ((isQwen2 || isQwen3) && bool('use_sliding_window', false)) {
    fail('"use_sliding_window": true is not supported; attention is full causal (set it to false to run the model without the window)');
  }
  const layerTypes = raw.layer_types;
  const windowed = Array.isArray(layerTypes) ? layerTypes.find((t) => t !== 'full_attention') : undefined;
  if (windowed !== undefined) {
    fail(`"layer_types" holds ${JSON.stringify(windowed)}; the lab runs only "full_attention" layers (full causal attention)`);
  }

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    fail(`"num_attention_heads" (${numHeads}) must be a multiple of "num_key_value_heads" (${numKvHeads})`);
  }
  // Qwen3's config class defaults head_dim to 128 rather than hidden / heads (Qwen3-0.6B: 1024 / 16
  // heads, head_dim 128).
  const headDim = int('head_dim', isQwen3 ? 128 : hiddenSize / numHeads);
  if (headDim % 2 !== 0) fail(`the head size ${headDim} must be even for rotary embeddings`);
  const attentionBias = bool('attention_bias', false);

  const eos = raw.eos_token_id;
  const eosTokenIds = eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos];
  if (!eosTokenIds.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
    fail(`"eos_token_id" must be a token id or a list of them, not ${JSON.stringify(eos)}`);
  }
  const bos = raw.bos_token_id;
  if (bos !== undefined && bos !== null && !(Number.isInteger(bos) && (bos as number) >= 0)) {
    fail(`"bos_token_id" must be a token id, not ${JSON.stringify(bos)}`);
  }

  return {
    architecture: architecture as Architecture,
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positive('rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    maxPositions: int('max_position_embeddings', 2048),
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    // Qwen2 always biases q/k/v and never o_proj; Llama and Qwen3 follow attention_bias.
    qkvBias: isQwen2 || attentionBias,
    outputBias: !isQwen2 && attentionBias,
    qkNorm: isQwen3,
    bosTokenId: (bos as number | undefined) ?? null,
    eosTokenIds: eosTokenIds as number[],
  };
}

/**
 * RoPE's base and scaling, from either spelling Hugging Face has used: `rope_theta` beside a
 * `rope_scaling` object (`type` or `rope_type`), or transformers 5's `rope_parameters`, which holds
 * `rope_type`, `rope_theta` and the scaling fields together. Scalings other than linear and llama3
 * change the frequencies in ways the lab does not compute, so they are refused by name.
 */
function parseRope(raw: Json, fail: (problem: string) => never): { theta: number; scaling: RopeScaling | null } {
  const key = raw.rope_parameters !== undefined && raw.rope_parameters !== null ? 'rope_parameters' : 'rope_scaling';
  const value = raw[key];
  const topTheta = raw.rope_theta ?? 10000;
  if (typeof topTheta !== 'number' || !(topTheta > 0)) fail(`"rope_theta" must be a positive number, not ${JSON.stringify(topTheta)}`);
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    fail(`"${key}" must be an object, not ${JSON.stringify(value)}`);
  }
  const params = (value ?? {}) as Json;
  const partial = params.partial_rotary_factor ?? raw.partial_rotary_factor ?? 1;
  if (partial !== 1) fail(`"partial_rotary_factor" ${JSON.stringify(partial)} is not supported; the lab rotates the whole head (1.0)`);
  const number = (field: string, fallback?: unknown): number => {
    const v = params[field] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) fail(`"${key}.${field}" must be a positive number, not ${JSON.stringify(v ?? null)}`);
    return v as number;
  };
  const theta = number('rope_theta', topTheta);
  const type = params.rope_type ?? params.type ?? 'default';
  switch (type) {
    case 'default':
      return { theta, scaling: null };
    case 'linear':
      return { theta, scaling: { type: 'linear', factor: number('factor') } };
    case 'llama3': {
      const lowFreqFactor = number('low_freq_factor');
      const highFreqFactor = number('high_freq_factor');
      if (!(highFreqFactor > lowFreqFactor)) {
        fail(`"${key}.high_freq_factor" (${highFreqFactor}) must be greater than "low_freq_factor" (${lowFreqFactor})`);
      }
      return {
        theta,
        scaling: {
          type: 'llama3',
          factor: number('factor'),
          lowFreqFactor,
          highFreqFactor,
          // transformers 5 falls back to the model's context when the field is absent.
          originalMaxPositions: number('original_max_position_embeddings', raw.max_position_embeddings),
        },
      };
    }
    default:
      return fail(
        `"${key}" of type ${JSON.stringify(type)} is not supported; the lab implements ${SUPPORTED_ROPE_TYPES}. ` +
          'Use a checkpoint with one of those, or plain RoPE (no rope scaling)',
      );
  }
}
