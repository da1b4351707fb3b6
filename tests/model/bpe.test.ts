import { describe, expect, it } from 'vitest';
import { bytesToUnicode, trainByteLevelBpe } from '../../src/model/bpe.ts';
import { TextTokenizer } from '../../src/model/tokenizer.ts';

const corpus = [
  '<safety_reasoning>The request is safe.</safety_reasoning><answer>Sure, here it is.</answer>',
  '<safety_reasoning>The request is harmful.</safety_reasoning><answer>\\boxed{Sorry, I can\'t comply}</answer>',
  'How do I bake bread? How do I kill a Python process? Naïve café — 10 €',
];

describe('trainByteLevelBpe', () => {
  it('maps all 256 bytes to distinct printable characters', () => {
    const chars = bytesToUnicode();
    expect(new Set(chars).size).toBe(256);
    expect(chars[32]).toBe('Ġ');
    expect(chars[65]).toBe('A');
  });

  it('writes a tokenizer.json that round-trips any text, merges frequent pairs, and keeps specials whole', () => {
    const { tokenizerJson, vocabSize } = trainByteLevelBpe(corpus, 300, ['<|im_start|>', '<|im_end|>']);
    // A small corpus runs out of pairs seen twice before 300: the vocabulary stops there.
    expect(vocabSize).toBeGreaterThan(280);
    expect(vocabSize).toBeLessThanOrEqual(300);
    const tokenizer = new TextTokenizer(tokenizerJson, {});
    expect(tokenizer.vocabSize).toBe(vocabSize);
    for (const text of [...corpus, 'unseen: ∑ 🙂 text', '<|im_start|>user\nhi<|im_end|>']) {
      expect(tokenizer.decode(tokenizer.encode(text), false)).toBe(text);
    }
    const ids = tokenizer.encode('<safety_reasoning>');
    expect(ids.length).toBeLessThan('<safety_reasoning>'.length / 2);
    expect(tokenizer.encode('<|im_end|>')).toEqual([vocabSize - 1]);
  });

  it('is deterministic', () => {
    expect(trainByteLevelBpe(corpus, 290, []).tokenizerJson).toEqual(trainByteLevelBpe(corpus, 290, []).tokenizerJson);
  });
});
