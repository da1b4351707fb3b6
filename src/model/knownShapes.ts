// The shapes of the checkpoints the lab's users bring (DESIGN.md §2), as their config.json files on
// the Hugging Face Hub publish them, so `lab bench model --shape` and `lab plan` can size a real
// model without downloading it. Copied by hand from each repository's config.json (the Instruct
// checkpoints; their base models share every number here but the special-token ids) and checked
// against the parameter counts the model cards give: tests/model/knownShapes.test.ts.
import { parseModelConfig, type ModelConfig } from './config.ts';

export const KNOWN_SHAPES = ['smollm2-135m', 'smollm2-360m', 'qwen2.5-0.5b', 'qwen3-0.6b', 'llama-3.2-1b'] as const;
export type KnownShape = (typeof KNOWN_SHAPES)[number];

export interface KnownShapeSource {
  /** The Hub repository whose config.json this is. */
  repo: string;
  /** The fields the engine reads, with their published values. */
  config: Readonly<Record<string, unknown>>;
}

export const KNOWN_SHAPE_SOURCES: Readonly<Record<KnownShape, KnownShapeSource>> = {
  // huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/blob/main/config.json
  'smollm2-135m': {
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: 49152,
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      hidden_act: 'silu',
      max_position_embeddings: 8192,
      rms_norm_eps: 1e-5,
      rope_theta: 100000,
      rope_scaling: null,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
    },
  },
  // huggingface.co/HuggingFaceTB/SmolLM2-360M-Instruct/blob/main/config.json
  'smollm2-360m': {
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: 49152,
      hidden_size: 960,
      intermediate_size: 2560,
      num_hidden_layers: 32,
      num_attention_heads: 15,
      num_key_value_heads: 5,
      hidden_act: 'silu',
      max_position_embeddings: 8192,
      rms_norm_eps: 1e-5,
      rope_theta: 100000,
      rope_scaling: null,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
    },
  },
  // huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json (Qwen2 always biases q, k, v)
  'qwen2.5-0.5b': {
    repo: 'Qwen/Qwen2.5-0.5B-Instruct',
    config: {
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      vocab_size: 151936,
      hidden_size: 896,
      intermediate_size: 4864,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      hidden_act: 'silu',
      max_position_embeddings: 32768,
      max_window_layers: 21,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      sliding_window: 32768,
      use_sliding_window: false,
      tie_word_embeddings: true,
      bos_token_id: 151643,
      eos_token_id: 151645,
    },
  },
  // huggingface.co/Qwen/Qwen3-0.6B/blob/main/config.json (the one Qwen3-0.6B is both base and chat
  // model): head_dim 128 with 16 heads over a hidden size of 1024; q_norm/k_norm per head.
  'qwen3-0.6b': {
    repo: 'Qwen/Qwen3-0.6B',
    config: {
      architectures: ['Qwen3ForCausalLM'],
      model_type: 'qwen3',
      vocab_size: 151936,
      hidden_size: 1024,
      intermediate_size: 3072,
      num_hidden_layers: 28,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      attention_bias: false,
      hidden_act: 'silu',
      max_position_embeddings: 40960,
      max_window_layers: 28,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      rope_scaling: null,
      sliding_window: null,
      use_sliding_window: false,
      tie_word_embeddings: true,
      bos_token_id: 151643,
      eos_token_id: 151645,
    },
  },
  // huggingface.co/meta-llama/Llama-3.2-1B-Instruct/blob/main/config.json
  'llama-3.2-1b': {
    repo: 'meta-llama/Llama-3.2-1B-Instruct',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: 128256,
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      attention_bias: false,
      mlp_bias: false,
      hidden_act: 'silu',
      max_position_embeddings: 131072,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      tie_word_embeddings: true,
      bos_token_id: 128000,
      eos_token_id: [128001, 128008, 128009],
    },
  },
};

export class UnknownShapeError extends RangeError {
  override name = 'UnknownShapeError';
}

export function isKnownShape(name: string): name is KnownShape {
  return (KNOWN_SHAPES as readonly string[]).includes(name);
}

/**
 * The config.json of a known shape, with `layers` decoder layers instead of the published number
 * when given: the same width and vocabulary, small enough for a CPU adapter.
 */
export function knownShapeJson(name: string, layers?: number): Record<string, unknown> {
  if (!isKnownShape(name)) throw new UnknownShapeError(`unknown shape "${name}": pick one of ${KNOWN_SHAPES.join(', ')}`);
  const { config } = KNOWN_SHAPE_SOURCES[name];
  if (layers === undefined) return { ...config };
  const published = config.num_hidden_layers as number;
  if (!(Number.isInteger(layers) && layers >= 1 && layers <= published)) {
    throw new UnknownShapeError(`${name} has ${published} layers: ask for 1 to ${published}, not ${layers}`);
  }
  return { ...config, num_hidden_layers: layers };
}

export function knownShapeConfig(name: string, layers?: number): ModelConfig {
  return parseModelConfig(knownShapeJson(name, layers), `${isKnownShape(name) ? KNOWN_SHAPE_SOURCES[name].repo : name}/config.json`);
}
