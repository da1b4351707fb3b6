import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/model/generate.ts';
import { loadModel } from '../../src/model/loader.ts';
import { Activations, buildForward, LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { testGpu } from '../helpers/testGpu.ts';

async function model(name: string) {
  const gpu = await testGpu();
  const loaded = await loadModel(folderSource(`tests/fixtures/models/${name}`));
  return { model: LlamaModel.load(gpu, loaded.config, loaded.weights), tokenizer: loaded.tokenizer };
}

/** Greedy next tokens recomputed from scratch: the full causal forward over each whole sequence. */
async function argmaxOfFullForward(m: LlamaModel, sequence: number[]): Promise<number[]> {
  const { gpu, config } = m;
  const acts = new Activations(m, 1, sequence.length, { logits: true });
  gpu.write(acts.tokens, Uint32Array.from(sequence));
  gpu.run(buildForward(m, acts).dispatches);
  const logits = await gpu.readF32(acts.logits!);
  acts.release();
  const V = config.vocabSize;
  return Array.from({ length: sequence.length }, (_, t) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[t * V + v]! > logits[t * V + best]!) best = v;
    return best;
  });
}

describe.each(['llama-gqa', 'qwen2-bias', 'llama3-rope-scaling', 'qwen3-head-dim'])('Generator on %s', (name) => {
  it('greedy decoding through the KV cache equals the argmax of a full forward', async () => {
    const { model: m } = await model(name);
    const prompts = [
      [5, 17, 200, 3, 99],
      [42, 42, 7, 250, 1],
    ];
    const generator = new Generator(m, 2, 16);
    const out = await generator.generate(prompts, { maxNewTokens: 8, temperature: 0, seed: 1, stopTokenIds: [] });
    for (let b = 0; b < 2; b++) {
      expect(out[b]!.tokens).toHaveLength(8);
      expect(out[b]!.finishReason).toBe('length');
      const sequence = [...prompts[b]!, ...out[b]!.tokens];
      const greedy = await argmaxOfFullForward(m, sequence);
      expect(out[b]!.tokens).toEqual(greedy.slice(prompts[b]!.length - 1, sequence.length - 1));
    }
    // A second call with another prompt length reuses the cache from position 0.
    const again = await generator.generate([[9, 8, 7], [1, 2, 3]], { maxNewTokens: 4, temperature: 0, seed: 1, stopTokenIds: [] });
    const greedy = await argmaxOfFullForward(m, [9, 8, 7, ...again[0]!.tokens]);
    expect(again[0]!.tokens).toEqual(greedy.slice(2, 6));
    generator.release();
  });
});

describe.each(['llama-gqa', 'qwen2-bias', 'qwen3-head-dim'])('Generator with prompts of different lengths on %s', (name) => {
  it('left-pads them and replies to each as if it were alone', async () => {
    const { model: m } = await model(name);
    const prompts = [[5, 17, 200, 3, 99, 8, 1], [42, 7], [250, 1, 9, 9]];
    const generator = new Generator(m, 3, 16);
    const out = await generator.generate(prompts, { maxNewTokens: 6, temperature: 0, seed: 1, stopTokenIds: [] });
    for (const [b, prompt] of prompts.entries()) {
      const sequence = [...prompt, ...out[b]!.tokens];
      const greedy = await argmaxOfFullForward(m, sequence);
      expect(out[b]!.tokens, `row ${b}`).toEqual(greedy.slice(prompt.length - 1, sequence.length - 1));
    }
    generator.release();
  });
});

describe('Generator sampling', () => {
  it('reproduces with a seed, varies without, and stops at a stop token or string', async () => {
    const { model: m, tokenizer } = await model('llama-gqa');
    const generator = new Generator(m, 4, 24);
    const prompt = tokenizer.encode('the answer');
    const prompts = Array.from({ length: 4 }, () => prompt);
    const options = { maxNewTokens: 12, temperature: 1.5, seed: 7, stopTokenIds: [] };
    const a = await generator.generate(prompts, options);
    const b = await generator.generate(prompts, options);
    const c = await generator.generate(prompts, { ...options, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((g) => g.tokens.join())).size).toBeGreaterThan(1); // rows draw different streams

    const stopAt = a[0]!.tokens[3]!;
    const stopped = await generator.generate(prompts, { ...options, stopTokenIds: [stopAt] });
    expect(stopped[0]!.tokens).toEqual(a[0]!.tokens.slice(0, a[0]!.tokens.indexOf(stopAt) + 1));
    expect(stopped[0]!.finishReason).toBe('stop');

    const text = tokenizer.decode(a[1]!.tokens.slice(0, 5));
    const byString = await generator.generate(prompts, { ...options, stopStrings: [text], decode: (ids) => tokenizer.decode(ids) });
    expect(byString[1]!.tokens.length).toBeLessThanOrEqual(5);
    expect(byString[1]!.finishReason).toBe('stop');
    generator.release();
  });
});

describe('Generator read-back', () => {
  it('replies the same whether it reads ids back every step or every few (stops by token and string included)', async () => {
    const { model: m, tokenizer } = await model('llama-gqa');
    const generator = new Generator(m, 3, 24);
    const prompts = [tokenizer.encode('the answer'), tokenizer.encode('a'), tokenizer.encode('what is it then')];
    const options = { maxNewTokens: 13, temperature: 1.5, seed: 11, stopTokenIds: [] };
    const free = await generator.generate(prompts, { ...options, readbackEvery: 1 });
    // Rows stop at different steps, inside and at the edges of the read-back blocks.
    const stopTokenIds = [free[0]!.tokens[2]!, free[2]!.tokens[8]!];
    const stopStrings = [tokenizer.decode(free[1]!.tokens.slice(0, 4))];
    const withStops = { ...options, stopTokenIds, stopStrings, decode: (ids: number[]) => tokenizer.decode(ids) };
    const everyStep = await generator.generate(prompts, { ...withStops, readbackEvery: 1 });
    expect(everyStep.some((g) => g.finishReason === 'stop')).toBe(true);
    expect(everyStep.some((g) => g.tokens.length < free[0]!.tokens.length)).toBe(true);
    for (const readbackEvery of [2, 3, 8, 100]) {
      expect(await generator.generate(prompts, { ...withStops, readbackEvery }), `every ${readbackEvery}`).toEqual(everyStep);
      expect(await generator.generate(prompts, { ...options, readbackEvery }), `every ${readbackEvery}, no stops`).toEqual(free);
    }
    expect(await generator.generate(prompts, withStops), 'the default').toEqual(everyStep);
    await expect(generator.generate(prompts, { ...options, readbackEvery: 0 })).rejects.toThrow(/readbackEvery is 0/);
    generator.release();
  });
});

describe('Generator memory', () => {
  it('keeps a bounded number of prefill graphs however many prompt lengths it meets', async () => {
    const { model: m } = await model('llama-gqa');
    const generator = new Generator(m, 1, 20);
    const live = () => m.gpu.pool.stats().liveBytes;
    for (let length = 1; length <= 4; length++) await generator.generate([Array(length).fill(5)], { maxNewTokens: 2, temperature: 0, seed: 0, stopTokenIds: [] });
    const afterFour = live();
    for (let length = 5; length <= 12; length++) await generator.generate([Array(length).fill(5)], { maxNewTokens: 2, temperature: 0, seed: 0, stopTokenIds: [] });
    // Eight more lengths, each evicting one graph: live memory grows only by the size difference of the graphs.
    expect(live()).toBeLessThan(afterFour * 1.5);
    generator.release();
  });
});
