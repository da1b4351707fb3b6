// The command line says what the loader warns of: a tokenizer reaching a small part of the
// embedding is named with both sizes on stderr, and the command still runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesWithPaddedEmbedding } from '../helpers/paddedEmbedding.ts';
import { lab } from './lab.ts';

describe('a model whose tokenizer does not fit it', () => {
  it('is warned of by lab generate, which goes on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-tokenizer-fit-'));
    for (const [name, bytes] of filesWithPaddedEmbedding('tests/fixtures/models/llama-gqa', 4096)) writeFileSync(join(dir, name), bytes);
    const run = lab(['generate', '--model', dir, '--prompt', 'the answer', '--max-new-tokens', '2', '--seed', '1']);
    expect(run.stderr).toMatch(/^warning: .*tokenizer\.json has 300 tokens but the embedding has 4,096 rows/m);
    expect(run.status).toBe(0);
  });
});
