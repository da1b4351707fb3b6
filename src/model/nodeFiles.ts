import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFileError, type ModelFileSource } from './files.ts';

/** A model folder on disk, for the command line and the tests. */
export function folderSource(dir: string): ModelFileSource {
  if (!existsSync(dir)) throw new ModelFileError(`${dir} does not exist: pass a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)`);
  return {
    label: dir,
    has: async (name) => existsSync(join(dir, name)),
    async read(name) {
      const path = join(dir, name);
      if (!existsSync(path)) throw new ModelFileError(`${dir} has no ${name}`);
      return new Uint8Array(readFileSync(path));
    },
  };
}
