// A Hugging Face config.json turned into the few numbers the engine needs, checked on the way:
// a missing field, a wrong type or a feature the kernels do not implement is refused with a
// message naming the file and the field, before anything is allocated.

export type Architecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM';
export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['LlamaForCausalLM', 'Qwen2ForCausalLM'];

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
  maxPositions: number;
  tieWordEmbeddings: boolean; // lm_head reuses embed_tokens
  qkvBias: boolean; // Qwen2, or Llama with attention_bias
  outputBias: boolean; // Llama with attention_bias also biases o_proj
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
  const architecture = Array.isArray(architectures) ? architectures[0] : raw.model_type === 'llama' ? 'LlamaForCausalLM' : raw.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : undefined;
  if (!SUPPORTED_ARCHITECTURES.includes(architecture as Architecture)) {
    fail(
      `architecture ${JSON.stringify(architecture ?? null)} is not supported; the lab runs ` +
        `${SUPPORTED_ARCHITECTURES.join(' and ')} (Llama 2/3, SmolLM2, TinyLlama, Qwen2/2.5)`,
    );
  }
  const isQwen = architecture === 'Qwen2ForCausalLM';

  const activation = raw.hidden_act ?? 'silu';
  if (activation !== 'silu') fail(`"hidden_act" is ${JSON.stringify(activation)}; the lab's MLP is SwiGLU with silu`);
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) {
    fail(`"rope_scaling" (${JSON.stringify(raw.rope_scaling)}) is not supported yet; use a model with plain RoPE`);
  }
  if (bool('mlp_bias', false)) fail('"mlp_bias": true is not supported; the MLP projections have no bias');
  if (isQwen && bool('use_sliding_window', false)) fail('"use_sliding_window": true is not supported; attention is full causal');

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    fail(`"num_attention_heads" (${numHeads}) must be a multiple of "num_key_value_heads" (${numKvHeads})`);
  }
  const headDim = int('head_dim', hiddenSize / numHeads);
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
    ropeTheta: positive('rope_theta', 10000),
    maxPositions: int('max_position_embeddings', 2048),
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    qkvBias: isQwen || attentionBias,
    outputBias: !isQwen && attentionBias,
    bosTokenId: (bos as number | undefined) ?? null,
    eosTokenIds: eosTokenIds as number[],
  };
}
