import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.ts';
import { parameterCount } from '../../src/model/parameters.ts';
import { knownShapeJson } from '../../src/model/knownShapes.ts';

// SmolLM2-135M's config.json as published (the fields the engine reads).
const smolLM2 = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 49152,
};

// Qwen2.5-0.5B-Instruct's config.json as published (src/model/knownShapes.ts).
const qwen25 = knownShapeJson('qwen2.5-0.5b');

// Llama-3.2-1B-Instruct's config.json as published.
const llama32 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  vocab_size: 128256,
};

// Qwen3-0.6B's.
const qwen3 = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

describe('parseModelConfig', () => {
  it('reads SmolLM2 (Llama, GQA, tied head)', () => {
    expect(parseModelConfig(smolLM2)).toEqual({
      architecture: 'LlamaForCausalLM',
      vocabSize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      ropeScaling: null,
      maxPositions: 8192,
      tieWordEmbeddings: true,
      qkvBias: false,
      outputBias: false,
      qkNorm: false,
      bosTokenId: 0,
      eosTokenIds: [0],
    });
  });

  it('reads Qwen2.5 with q/k/v biases', () => {
    const config = parseModelConfig(qwen25);
    expect(config.qkvBias).toBe(true);
    expect(config.outputBias).toBe(false);
    expect(config.numKvHeads).toBe(2);
    expect(config.headDim).toBe(64);
    expect(config.eosTokenIds).toEqual([151645]);
  });

  it('defaults key/value heads to the query heads and reads a list of end tokens', () => {
    const { num_key_value_heads: _, ...mha } = smolLM2;
    const config = parseModelConfig({ ...mha, num_attention_heads: 8, hidden_size: 512, eos_token_id: [2, 7] });
    expect(config.numKvHeads).toBe(8);
    expect(config.eosTokenIds).toEqual([2, 7]);
  });

  it('reads Llama 3.2 with llama3 rope scaling, an explicit head_dim and a list of end tokens', () => {
    const config = parseModelConfig(llama32);
    expect(config.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(config.ropeTheta).toBe(500000);
    expect(config.headDim).toBe(64);
    expect(config.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(config.tieWordEmbeddings).toBe(true);
    expect(config.rmsNormEps).toBe(1e-5);
    expect(config.qkNorm).toBe(false);
    expect(parameterCount(config)).toBe(1_235_814_400); // Llama-3.2-1B's published 1.24 B
  });

  it('reads the same scaling from transformers 5\'s rope_parameters, and linear scaling by either key name', () => {
    const { rope_scaling: scaling, rope_theta: _, ...rest } = llama32;
    const v5 = parseModelConfig({ ...rest, rope_parameters: { ...scaling, rope_theta: 500000 } });
    expect(v5.ropeScaling).toEqual(parseModelConfig(llama32).ropeScaling);
    expect(v5.ropeTheta).toBe(500000);
    // transformers 5 fills a missing original context from max_position_embeddings.
    const { original_max_position_embeddings: __, ...noContext } = scaling;
    expect(parseModelConfig({ ...rest, rope_parameters: noContext }).ropeScaling).toMatchObject({ originalMaxPositions: 131072 });
    expect(parseModelConfig({ ...smolLM2, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(parseModelConfig({ ...smolLM2, rope_parameters: { rope_type: 'default', rope_theta: 1234 } })).toMatchObject({ ropeScaling: null, ropeTheta: 1234 });
  });

  it('reads Qwen3: per-head q/k norms, head_dim of its own, no attention bias', () => {
    const config = parseModelConfig(qwen3);
    expect(config).toMatchObject({ architecture: 'Qwen3ForCausalLM', headDim: 128, numHeads: 16, hiddenSize: 1024, qkNorm: true, qkvBias: false, outputBias: false, ropeScaling: null });
    expect(parameterCount(config)).toBe(596_049_920); // 0.44 B without the embedding, as Qwen publishes
    const { head_dim: _, ...noHeadDim } = qwen3;
    expect(parseModelConfig(noHeadDim).headDim).toBe(128); // Qwen3Config's default, not 1024 / 16
    expect(parseModelConfig({ ...qwen3, attention_bias: true })).toMatchObject({ qkvBias: true, outputBias: true });
    const { architectures: __, ...byType } = qwen3;
    expect(parseModelConfig(byType).architecture).toBe('Qwen3ForCausalLM');
    expect(parseModelConfig({ ...qwen3, layer_types: Array(28).fill('full_attention') }).numLayers).toBe(28); // transformers 4.56+ writes this
  });

  it.each([
    [{ ...smolLM2, architectures: ['GPT2LMHeadModel'] }, /architecture "GPT2LMHeadModel" is not supported; the lab runs LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM/],
    [{ ...smolLM2, hidden_size: undefined }, /the required field "hidden_size" is missing/],
    [{ ...smolLM2, num_hidden_layers: 2.5 }, /"num_hidden_layers" must be a positive integer, not 2.5/],
    [{ ...smolLM2, num_key_value_heads: 4 }, /"num_attention_heads" \(9\) must be a multiple of "num_key_value_heads" \(4\)/],
    [{ ...smolLM2, hidden_act: 'gelu' }, /"hidden_act" is "gelu"/],
    [{ ...smolLM2, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } }, /"rope_scaling" of type "yarn" is not supported; the lab implements "default", "linear" and "llama3" .*Use a checkpoint/],
    [{ ...smolLM2, rope_parameters: { rope_type: 'dynamic', factor: 2, rope_theta: 1e4 } }, /"rope_parameters" of type "dynamic" is not supported/],
    [{ ...llama32, rope_scaling: { ...llama32.rope_scaling, low_freq_factor: undefined } }, /"rope_scaling.low_freq_factor" must be a positive number, not null/],
    [{ ...llama32, rope_scaling: { ...llama32.rope_scaling, high_freq_factor: 1 } }, /"rope_scaling.high_freq_factor" \(1\) must be greater than "low_freq_factor" \(1\)/],
    [{ ...smolLM2, rope_scaling: { type: 'linear' } }, /"rope_scaling.factor" must be a positive number, not null/],
    [{ ...smolLM2, rope_scaling: 'llama3' }, /"rope_scaling" must be an object/],
    [{ ...smolLM2, partial_rotary_factor: 0.5 }, /"partial_rotary_factor" 0.5 is not supported/],
    [{ ...qwen3, use_sliding_window: true }, /"use_sliding_window": true is not supported/],
    [{ ...qwen3, layer_types: ['full_attention', 'sliding_attention'] }, /"layer_types" holds "sliding_attention"; the lab runs only "full_attention" layers/],
    [{ ...qwen25, use_sliding_window: true }, /"use_sliding_window": true is not supported/],
    [{ ...smolLM2, eos_token_id: 'eos' }, /"eos_token_id" must be a token id/],
    [[1, 2], /is not a JSON object/],
  ])('refuses a bad config with a message naming the field (%#)', (json, message) => {
    expect(() => parseModelConfig(json, 'model/config.json')).toThrow(message);
    expect(() => parseModelConfig(json, 'model/config.json')).toThrow(/^model\/config\.json: /);
  });
});
