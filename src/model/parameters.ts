// The sizes table of a model's parameters, in Hugging Face's names and shapes: the loader checks
// a checkpoint against it, the engine allocates weights, gradients and optimiser state from it,
// and the exporter writes it back. Shapes are PyTorch's (out, in) for linear weights.
import type { ModelConfig } from './config.ts';

export interface ParameterSpec {
  name: string;
  shape: number[];
}

export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { vocabSize: V, hiddenSize: C, intermediateSize: I, numHeads: NH, numKvHeads: NKV, headDim: hs } = config;
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [V, C] }];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}.`;
    specs.push({ name: `${p}input_layernorm.weight`, shape: [C] });
    specs.push({ name: `${p}self_attn.q_proj.weight`, shape: [NH * hs, C] });
    specs.push({ name: `${p}self_attn.k_proj.weight`, shape: [NKV * hs, C] });
    specs.push({ name: `${p}self_attn.v_proj.weight`, shape: [NKV * hs, C] });
    if (config.qkvBias) {
      specs.push({ name: `${p}self_attn.q_proj.bias`, shape: [NH * hs] });
      specs.push({ name: `${p}self_attn.k_proj.bias`, shape: [NKV * hs] });
      specs.push({ name: `${p}self_attn.v_proj.bias`, shape: [NKV * hs] });
    }
    specs.push({ name: `${p}self_attn.o_proj.weight`, shape: [C, NH * hs] });
    if (config.outputBias) specs.push({ name: `${p}self_attn.o_proj.bias`, shape: [C] });
    if (config.qkNorm) {
      // Qwen3: one RMSNorm weight per head element, shared by all heads of q (and of k).
      specs.push({ name: `${p}self_attn.q_norm.weight`, shape: [hs] });
      specs.push({ name: `${p}self_attn.k_norm.weight`, shape: [hs] });
    }
    specs.push({ name: `${p}post_attention_layernorm.weight`, shape: [C] });
    specs.push({ name: `${p}mlp.gate_proj.weight`, shape: [I, C] });
    specs.push({ name: `${p}mlp.up_proj.weight`, shape: [I, C] });
    specs.push({ name: `${p}mlp.down_proj.weight`, shape: [C, I] });
  }
  specs.push({ name: 'model.norm.weight', shape: [C] });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [V, C] });
  return specs;
}

export function parameterCount(config: ModelConfig): number {
  return parameterSpecs(config).reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}
