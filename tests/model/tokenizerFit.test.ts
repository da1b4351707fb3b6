// A tokenizer that does not fit its model is said at load: ids past the embedding are refused
// (loader.test.ts), a tokenizer reaching under half the embedding's rows is a warning naming both
// sizes, and the padding real models have is not.
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/model/files.ts';
import { loadModel, tokenizerCoverageWarning } from '../../src/model/loader.ts';
import { filesWithPaddedEmbedding } from '../helpers/paddedEmbedding.ts';

describe('tokenizerCoverageWarning', () => {
  it('names both sizes when the tokenizer reaches a small part of the embedding', () => {
    // The case: a 264-entry tokenizer beside SmolLM2-135M's 49,152 rows.
    expect(tokenizerCoverageWarning(264, 49_152, 'm/tokenizer.json')).toMatch(
      /^m\/tokenizer\.json has 264 tokens but the embedding has 49,152 rows \(vocab_size in config\.json\): 48,888 rows no token reaches/,
    );
  });

  it('lets the padding of published models pass', () => {
    // Qwen2.5 pads 151,665 tokens to 151,936 rows; Phi-2 50,295 to 51,200; a tokenizer as large as its embedding.
    expect(tokenizerCoverageWarning(151_665, 151_936, 't')).toBeNull();
    expect(tokenizerCoverageWarning(50_295, 51_200, 't')).toBeNull();
    expect(tokenizerCoverageWarning(128_256, 128_256, 't')).toBeNull();
    // Padding never leaves more unused rows than tokens: exactly half is still padding.
    expect(tokenizerCoverageWarning(2048, 4096, 't')).toBeNull();
    expect(tokenizerCoverageWarning(2047, 4096, 't')).not.toBeNull();
  });
});

describe('loadModel', () => {
  it('loads a model whose tokenizer covers a small part of its embedding, with a warning', async () => {
    // llama-gqa's tokenizer has 300 tokens; its embedding padded to 4,096 rows.
    const model = await loadModel(memorySource('m', filesWithPaddedEmbedding('tests/fixtures/models/llama-gqa', 4096)));
    expect(model.config.vocabSize).toBe(4096);
    expect(model.warnings).toEqual([expect.stringMatching(/^m\/tokenizer\.json has 300 tokens but the embedding has 4,096 rows/)]);
  });

  it('has no warning for a tokenizer that fits, padded or not', async () => {
    expect((await loadModel(memorySource('m', filesWithPaddedEmbedding('tests/fixtures/models/llama-gqa', 320)))).warnings).toEqual([]);
    expect((await loadModel(memorySource('m', filesWithPaddedEmbedding('tests/fixtures/models/llama-gqa', 300)))).warnings).toEqual([]);
  });
});
