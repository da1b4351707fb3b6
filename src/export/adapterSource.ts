// Back from TRL with LoRA: its trainer saves a PEFT adapter folder (adapter_config.json,
// adapter_model.safetensors, the tokenizer) without the base model. This source lays the adapter's
// files over the base's, so the loader opens the two as one model folder with an adapter, as it
// opens the lab's own LoRA checkpoints. From the base it takes only the model's own files, never
// another adapter or a lab run's record.
import { ModelFileError, type ModelFileSource } from '../model/files.ts';

/** The base's files an adapter folder may lean on: its config, weights (one file or shards) and tokenizer. */
const BASE_FILE = /^(?:config\.json|generation_config\.json|tokenizer(?:_config)?\.json|special_tokens_map\.json|model\.safetensors(?:\.index\.json)?|model-\d+-of-\d+\.safetensors)$/;

/** The adapter's files, and the base model's for the rest. */
export function adapterOverBase(adapter: ModelFileSource, base: ModelFileSource): ModelFileSource {
  const fromBase = async (name: string) => BASE_FILE.test(name) && !(await adapter.has(name)) && (await base.has(name));
  return {
    label: `${adapter.label} (on ${base.label})`,
    has: async (name) => (await adapter.has(name)) || (await fromBase(name)),
    async read(name) {
      if (await adapter.has(name)) return adapter.read(name);
      if (await fromBase(name)) return base.read(name);
      throw new ModelFileError(`neither ${adapter.label} nor its base ${base.label} has ${name}`);
    },
  };
}
