import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/model/tokenizer.ts';

const dir = 'tests/fixtures/models/llama-gqa';
const load = () =>
  new TextTokenizer(
    JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')),
    JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>,
  );

describe('TextTokenizer', () => {
  it('round-trips text through byte-level BPE, merges applied', () => {
    const tokenizer = load();
    const ids = tokenizer.encode('the thin answer');
    expect(tokenizer.decode(ids)).toBe('the thin answer');
    expect(ids).toContain(tokenizer.tokenId('the')); // the merge t+h, th+e
    expect(ids.length).toBeLessThan('the thin answer'.length);
  });

  it('knows its vocabulary size, special tokens included', () => {
    expect(load().vocabSize).toBe(300);
  });

  it('renders the chat template with the generation prompt and keeps special tokens whole', () => {
    const tokenizer = load();
    const text = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi' }]);
    expect(text).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    const ids = tokenizer.encode(text);
    expect(ids[0]).toBe(tokenizer.tokenId('<|im_start|>'));
    expect(tokenizer.decode(ids, false)).toBe(text);
    expect(tokenizer.decode(ids)).toBe('user\nHi\nassistant\n');
  });

  it('names the file when tokenizer.json is not a tokenizer', () => {
    expect(() => new TextTokenizer({ model: { type: 'Nonsense' } }, {}, 'my/tokenizer.json')).toThrow(/my\/tokenizer\.json could not be read/);
  });
});
