import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { LmTrainer } from '../../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimizer.ts';
import { encodeExample, packBatch, runSft } from '../../src/train/sft.ts';
import { testGpu } from '../helpers/testGpu.ts';

const examples = [
  { prompt: 'Say hi', response: 'hi there' },
  { prompt: 'Say no', response: 'no thanks' },
  { prompt: 'Name a fruit', response: 'an apple' },
  { prompt: 'Name a colour', response: 'the red one' },
];

describe('SFT', () => {
  it('learns only the response: the mask covers response and end token, not prompt or padding', async () => {
    const { tokenizer, config } = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const eos = config.eosTokenIds[0]!;
    const encoded = encodeExample(tokenizer, eos, examples[0]!);
    const response = tokenizer.encode('hi there');
    const promptLength = encoded.weights.indexOf(1);
    expect(encoded.ids.slice(promptLength)).toEqual([...response, eos]);
    expect(encoded.weights.slice(0, promptLength).every((w) => w === 0)).toBe(true);
    const T = encoded.ids.length + 3;
    const batch = packBatch([encoded], T, eos);
    const learned = Array.from(batch.targets).filter((_, t) => batch.mask[t]);
    expect(learned).toEqual([...response, eos]);
    expect(Array.from(batch.tokens).slice(0, encoded.ids.length)).toEqual(encoded.ids);
  });

  it('weighs each response part as it says, and refuses parts cut where the tokenizer merges', async () => {
    const { tokenizer, config } = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const eos = config.eosTokenIds[0]!;
    const parts = [
      { text: 'hi', weight: 1 },
      { text: ' there', weight: 4 },
    ];
    const encoded = encodeExample(tokenizer, eos, { prompt: 'Say hi', response: parts });
    const hi = tokenizer.encode('hi');
    const there = tokenizer.encode(' there');
    const promptLength = encoded.ids.length - hi.length - there.length - 1;
    expect(encoded.weights.slice(promptLength)).toEqual([...hi.map(() => 1), ...there.map(() => 4), 1]);
    const batch = packBatch([encoded], encoded.ids.length, eos);
    expect(Array.from(batch.mask).slice(promptLength - 1, encoded.ids.length - 1)).toEqual(encoded.weights.slice(promptLength));

    // Every cut inside a word that the tokenizer merges across must be refused, the others kept.
    const word = 'hi there';
    let refused = 0;
    for (let cut = 1; cut < word.length; cut++) {
      const [a, b] = [word.slice(0, cut), word.slice(cut)];
      const example = { prompt: 'Say hi', response: [{ text: a, weight: 1 }, { text: b, weight: 2 }] };
      if ([...tokenizer.encode(a), ...tokenizer.encode(b)].join() === tokenizer.encode(word).join()) {
        expect(() => encodeExample(tokenizer, eos, example)).not.toThrow();
      } else {
        expect(() => encodeExample(tokenizer, eos, example)).toThrow(/tokenize differently from the whole/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('halves the loss on a small fixed dataset within 30 steps', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const trainer = new LmTrainer(model, 2, 24, { ...DEFAULT_OPTIMIZER, lr: 5e-3 });
    const results = await runSft(trainer, loaded.tokenizer, examples, { steps: 30, seed: 3 });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(results.slice(0, 2).map((r) => r.loss));
    const last = mean(results.slice(-2).map((r) => r.loss));
    expect(last).toBeLessThan(first / 2);
    trainer.release();
  });
});
