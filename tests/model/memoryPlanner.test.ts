import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.ts';
import { LORA_TARGETS } from '../../src/model/lora.ts';
import { LOGITS_CHUNK_BYTES, logitsChunkColumns, loraParameterCount, planMemory, type RunShape } from '../../src/model/memoryPlanner.ts';
import { parameterCount, parameterSpecs } from '../../src/model/parameters.ts';

const tiny = parseModelConfig({
  architectures: ['LlamaForCausalLM'],
  vocab_size: 300,
  hidden_size: 64,
  intermediate_size: 96,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
});
const smol = parseModelConfig({
  architectures: ['LlamaForCausalLM'],
  vocab_size: 49152,
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  tie_word_embeddings: true,
});
const run: RunShape = { batch: 8, seqLen: 256, finetune: { kind: 'full' }, generationBatch: 64, generationLen: 256, referenceCopy: true };
const limits = { budgetBytes: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

describe('planMemory', () => {
  it('counts SmolLM2-135M as 134.5M parameters', () => {
    expect(parameterCount(smol)).toBe(134_515_008);
  });

  it('adds up weights, reference, gradients and AdamW state for full fine-tuning', () => {
    const plan = planMemory(tiny, { ...run, batch: 1, seqLen: 8, generationBatch: 0 }, limits);
    const P = parameterCount(tiny) * 4;
    const byName = Object.fromEntries(plan.parts.map((p) => [p.name, p.bytes]));
    expect(byName.weights).toBe(P);
    expect(byName['reference weights']).toBe(P);
    expect(byName.gradients).toBe(P);
    expect(byName['optimiser state']).toBe(2 * P);
    expect(byName['KV cache']).toBeUndefined();
    expect(plan.ok).toBe(true);
    expect(plan.problem).toBeNull();
  });

  it('with LoRA trains only the adapters and needs no reference copy', () => {
    const plan = planMemory(smol, { ...run, finetune: { kind: 'lora', rank: 8, targets: LORA_TARGETS } }, limits);
    expect(plan.trainableParameters).toBe(loraParameterCount(smol, 8, LORA_TARGETS));
    expect(plan.parts.find((p) => p.name === 'reference weights')).toBeUndefined();
    expect(plan.parts.find((p) => p.name === 'gradients')!.bytes).toBe(plan.trainableParameters * 4);
  });

  it('refuses a run over budget, naming the numbers and the ways out', () => {
    const plan = planMemory(smol, run, { ...limits, budgetBytes: 2 * 2 ** 30 });
    expect(plan.ok).toBe(false);
    expect(plan.problem).toMatch(/^Not enough GPU memory: this run needs \d+\.\d\d GiB \(weights 513\.1 MiB, reference weights 513\.1 MiB, gradients /);
    expect(plan.problem).toMatch(/but the memory budget is 2\.00 GiB\. Ways out: LoRA .*; a smaller batch \(8 → 4\); shorter sequences \(256 tokens → 128\)/);
  });

  it('plans one chunk of logits, not B×T×V: bindable, within the chunk bytes and the adapter\'s binding', () => {
    const lora = { ...run, finetune: { kind: 'lora', rank: 8, targets: ['q_proj'] } } as const;
    const BT = run.batch * run.seqLen;
    for (const maxStorageBufferBindingSize of [128 * 2 ** 20, 16 * 2 ** 20]) {
      const plan = planMemory(smol, lora, { budgetBytes: 64 * 2 ** 30, maxStorageBufferBindingSize });
      const Vc = plan.logitsChunkColumns;
      expect(Vc).toBe(logitsChunkColumns(smol.vocabSize, smol.hiddenSize, BT, Math.min(LOGITS_CHUNK_BYTES, maxStorageBufferBindingSize)));
      expect(Vc).toBeLessThan(smol.vocabSize); // 8 × 256 × 49152 floats would be 384 MiB
      expect(BT * Vc * 4).toBeLessThanOrEqual(Math.min(LOGITS_CHUNK_BYTES, maxStorageBufferBindingSize));
      expect(plan.parts.find((p) => p.name === 'logits chunk')!.bytes).toBe(BT * (Vc + 4) * 4);
      expect(plan.parts.some((p) => p.name.includes('logits and'))).toBe(false);
    }
    // A batch whose logits fit the chunk takes the whole vocabulary at once.
    expect(planMemory(tiny, { ...run, batch: 1, seqLen: 8 }, limits).logitsChunkColumns).toBe(300);
  });

  it('counts a frozen base (LoRA\'s, or the reference copy) at its stored 16 bits, norms in f32', () => {
    const matrices = parameterSpecs(smol).filter((p) => p.shape.length === 2).reduce((s, p) => s + p.shape[0]! * p.shape[1]!, 0);
    const vectors = parameterCount(smol) - matrices;
    const lora = { ...run, finetune: { kind: 'lora', rank: 8, targets: LORA_TARGETS } } as const;
    const byName = (shape: RunShape) => Object.fromEntries(planMemory(smol, shape, limits).parts.map((p) => [p.name, p.bytes]));
    const trainable = loraParameterCount(smol, 8, LORA_TARGETS);
    expect(byName({ ...lora, frozenDtype: 'bf16' }).weights).toBe(matrices * 2 + vectors * 4 + trainable * 4);
    expect(byName(lora).weights).toBe((matrices + vectors + trainable) * 4);
    const full = byName({ ...run, frozenDtype: 'f16' });
    expect(full.weights).toBe(parameterCount(smol) * 4); // what trains is f32
    expect(full['reference weights']).toBe(matrices * 2 + vectors * 4);
    expect(planMemory(smol, { ...lora, frozenDtype: 'bf16' }, limits).frozenDtype).toBe('bf16');
  });

  it('plans generation with its layers sharing one set of activations: another layer adds nothing', () => {
    const part = (config: typeof smol, name: string) => planMemory(config, run, limits).parts.find((p) => p.name === name)!.bytes;
    const deeper = { ...smol, numLayers: smol.numLayers + 1 };
    expect(part(deeper, 'prefill activations')).toBe(part(smol, 'prefill activations'));
    expect(part(deeper, 'decode activations')).toBe(part(smol, 'decode activations'));
    // The KV cache is every layer's.
    expect(part(deeper, 'KV cache')).toBeGreaterThan(part(smol, 'KV cache'));
  });

  it('over budget, recomputes each layer\'s activations: every layer keeps only its input residual', () => {
    const lora = { ...run, generationBatch: 0, finetune: { kind: 'lora', rank: 8, targets: LORA_TARGETS } } as const;
    const kept = planMemory(smol, lora, { ...limits, budgetBytes: 64 * 2 ** 30 });
    expect(kept.recompute).toBe(false);
    const tight = planMemory(smol, lora, { ...limits, budgetBytes: kept.totalBytes - 1 });
    expect(tight.recompute).toBe(true);
    expect(tight.ok).toBe(true);
    const activations = (plan: typeof kept) => plan.parts.find((p) => p.name === 'activations')!.bytes;
    const { numLayers: L, hiddenSize: C } = smol;
    const BT = run.batch * run.seqLen;
    // L layers' sets become one set plus the other L − 1 layers' residuals (BT, C).
    expect(activations(kept) - activations(tight)).toBe(((activations(kept) / 4 - 2 * BT * C) / L - BT * C) * (L - 1) * 4);
    expect(tight.totalBytes).toBe(kept.totalBytes - activations(kept) + activations(tight));
    // Still over budget with recomputation: refused.
    expect(planMemory(smol, lora, { ...limits, budgetBytes: tight.totalBytes - 1 }).ok).toBe(false);
  });

  it('counts Qwen3\'s q/k norm weights in the parameters and their saved outputs in the activations', () => {
    const qwen3Json = { architectures: ['Qwen3ForCausalLM'], vocab_size: 300, hidden_size: 48, intermediate_size: 80, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16 };
    const qwen3 = parseModelConfig(qwen3Json);
    const sameWithoutNorms = { ...qwen3, qkNorm: false };
    expect(parameterCount(qwen3) - parameterCount(sameWithoutNorms)).toBe(2 * 2 * 16); // L × (q_norm + k_norm) of hs
    const shape = { ...run, batch: 2, seqLen: 8, generationBatch: 0 };
    const activations = (config: typeof qwen3) => planMemory(config, shape, limits).parts.find((p) => p.name === 'activations')!.bytes;
    // Per layer and token: q and k normalised (NH·hs + NKV·hs) and an rstd per head (NH + NKV).
    expect(activations(qwen3) - activations(sameWithoutNorms)).toBe(2 * 16 * (4 * 16 + 2 * 16 + 4 + 2) * 4);
    // head_dim 16 ≠ 48 / 4: q_proj is (NH·hs, C) = (64, 48).
    expect(loraParameterCount(qwen3, 8, ['q_proj'])).toBe(2 * 8 * (64 + 48));
  });
});
