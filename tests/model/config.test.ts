import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.ts';

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

// Qwen2.5-0.5B-Instruct's.
const qwen25 = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
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
      maxPositions: 8192,
      tieWordEmbeddings: true,
      qkvBias: false,
      outputBias: false,
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

  it.each([
    [{ ...smolLM2, architectures: ['GPT2LMHeadModel'] }, /architecture "GPT2LMHeadModel" is not supported; the lab runs LlamaForCausalLM and Qwen2ForCausalLM/],
    [{ ...smolLM2, hidden_size: undefined }, /the required field "hidden_size" is missing/],
    [{ ...smolLM2, num_hidden_layers: 2.5 }, /"num_hidden_layers" must be a positive integer, not 2.5/],
    [{ ...smolLM2, num_key_value_heads: 4 }, /"num_attention_heads" \(9\) must be a multiple of "num_key_value_heads" \(4\)/],
    [{ ...smolLM2, hidden_act: 'gelu' }, /"hidden_act" is "gelu"/],
    [{ ...smolLM2, rope_scaling: { rope_type: 'llama3', factor: 32 } }, /"rope_scaling" .* is not supported yet/],
    [{ ...qwen25, use_sliding_window: true }, /"use_sliding_window": true is not supported/],
    [{ ...smolLM2, eos_token_id: 'eos' }, /"eos_token_id" must be a token id/],
    [[1, 2], /is not a JSON object/],
  ])('refuses a bad config with a message naming the field (%#)', (json, message) => {
    expect(() => parseModelConfig(json, 'model/config.json')).toThrow(message);
    expect(() => parseModelConfig(json, 'model/config.json')).toThrow(/^model\/config\.json: /);
  });
});
