import { describe, expect, it } from 'vitest';
import { KNOWN_SHAPES, knownShapeConfig, knownShapeJson } from '../../src/model/knownShapes.ts';
import { parameterCount } from '../../src/model/parameters.ts';

describe('known shapes', () => {
  it('have the parameter counts their model cards and safetensors files give', () => {
    // Millions, to 0.1 M: SmolLM2 134.5 M / 361.8 M, Qwen2.5-0.5B 494.0 M, Qwen3-0.6B 596.0 M
    // (tied, so 0.44 B without the embedding, as its card says), Llama-3.2-1B 1235.8 M.
    const millions = Object.fromEntries(KNOWN_SHAPES.map((s) => [s, Math.round(parameterCount(knownShapeConfig(s)) / 1e5) / 10]));
    expect(millions).toEqual({ 'smollm2-135m': 134.5, 'smollm2-360m': 361.8, 'qwen2.5-0.5b': 494.0, 'qwen3-0.6b': 596.0, 'llama-3.2-1b': 1235.8 });
    const qwen3 = knownShapeConfig('qwen3-0.6b');
    expect(Math.round((parameterCount(qwen3) - qwen3.vocabSize * qwen3.hiddenSize) / 1e7) / 100).toBe(0.44);
  });

  it('carry each architecture’s own features as published', () => {
    const smol = knownShapeConfig('smollm2-135m');
    expect([smol.hiddenSize, smol.intermediateSize, smol.numLayers, smol.numHeads, smol.numKvHeads, smol.headDim, smol.vocabSize]).toEqual([576, 1536, 30, 9, 3, 64, 49152]);
    expect([smol.ropeTheta, smol.tieWordEmbeddings, smol.qkvBias, smol.qkNorm]).toEqual([100000, true, false, false]);

    const qwen25 = knownShapeConfig('qwen2.5-0.5b');
    expect([qwen25.hiddenSize, qwen25.intermediateSize, qwen25.numLayers, qwen25.numHeads, qwen25.numKvHeads, qwen25.headDim]).toEqual([896, 4864, 24, 14, 2, 64]);
    expect([qwen25.qkvBias, qwen25.outputBias, qwen25.ropeTheta, qwen25.vocabSize]).toEqual([true, false, 1e6, 151936]);

    const qwen3 = knownShapeConfig('qwen3-0.6b');
    expect([qwen3.hiddenSize, qwen3.numHeads, qwen3.numKvHeads, qwen3.headDim, qwen3.numLayers]).toEqual([1024, 16, 8, 128, 28]);
    expect(qwen3.headDim).not.toBe(qwen3.hiddenSize / qwen3.numHeads);
    expect([qwen3.qkNorm, qwen3.qkvBias, qwen3.tieWordEmbeddings]).toEqual([true, false, true]);

    const llama = knownShapeConfig('llama-3.2-1b');
    expect([llama.hiddenSize, llama.intermediateSize, llama.numLayers, llama.numHeads, llama.numKvHeads, llama.headDim, llama.vocabSize]).toEqual([2048, 8192, 16, 32, 8, 64, 128256]);
    expect(llama.ropeTheta).toBe(500000);
    expect(llama.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(llama.eosTokenIds).toEqual([128001, 128008, 128009]);
  });

  it('keep width and vocabulary with fewer layers, and refuse what they do not know', () => {
    const one = knownShapeConfig('llama-3.2-1b', 1);
    expect({ ...one, numLayers: 16 }).toEqual(knownShapeConfig('llama-3.2-1b'));
    expect(knownShapeJson('qwen3-0.6b', 2).num_hidden_layers).toBe(2);
    expect(() => knownShapeJson('gpt2')).toThrow(/unknown shape "gpt2": pick one of smollm2-135m, .*llama-3.2-1b/);
    expect(() => knownShapeJson('smollm2-135m', 31)).toThrow(/has 30 layers: ask for 1 to 30, not 31/);
    expect(() => knownShapeJson('smollm2-135m', 0)).toThrow(/ask for 1 to 30/);
  });
});
