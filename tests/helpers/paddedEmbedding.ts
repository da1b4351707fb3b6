// A fixture model folder's files with its embedding (and untied LM head) padded with zero rows to
// `rows`, vocab_size saying so: the tokenizer stays as it was, reaching only its own ids.
import { readFileSync, readdirSync } from 'node:fs';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.ts';

const VOCAB_ROWS = new Set(['model.embed_tokens.weight', 'lm_head.weight']);

export function filesWithPaddedEmbedding(folder: string, rows: number): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>(
    readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map(({ name }) => [name, new Uint8Array(readFileSync(`${folder}/${name}`))]),
  );
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, vocab_size: rows })));
  const weights = parseSafetensors(files.get('model.safetensors')!, folder);
  const tensors = weights.names.map((name) => {
    const shape = weights.shape(name);
    const data = weights.read(name);
    if (!VOCAB_ROWS.has(name)) return { name, shape, data };
    const padded = new Float32Array(rows * shape[1]!); // (rows, C): the rows past the old vocabulary stay 0
    padded.set(data);
    return { name, shape: [rows, shape[1]!], data: padded };
  });
  files.set('model.safetensors', serializeSafetensors(tensors, 'F32'));
  return files;
}
