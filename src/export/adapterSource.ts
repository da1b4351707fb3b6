// Back from TRL with LoRA: its trainer saves a PEFT adapter folder (adapter_config.json,
// adapter_model.safetensors, the tokenizer) without the base model. This source lays the adapter's
// files over the base's, so the loader opens the two as one model folder with an adapter, as it
// opens the lab's own LoRA checkpoints. From the base it takes only the model's own files, never
// another adapter or a lab run's record.
import { ADAPTER_CONFIG } from '../model/loader.ts';
import { ModelFileError, readJson, type ModelFileSource } from '../model/files.ts';
import { hubSource, parseHubReference, type HubSourceOptions } from '../model/hubSource.ts';

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

/** The base model an adapter_config.json (parsed) names in base_model_name_or_path; `at` names the file in messages. */
export function adapterBaseName(adapterConfig: unknown, at: string): string {
  const base = adapterConfig && typeof adapterConfig === 'object' ? (adapterConfig as Record<string, unknown>).base_model_name_or_path : undefined;
  if (typeof base !== 'string' || base.trim() === '') {
    throw new ModelFileError(`${at} names no base model (base_model_name_or_path): this LoRA adapter came without its base, so set that field to the base's Hugging Face repo id, or put the adapter's files in the base model's folder`);
  }
  return base.trim();
}

/**
 * Files the page was given: a model folder opens as it is; a LoRA adapter without its base (TRL's
 * output: adapter_config.json and no config.json) opens on the base its adapter_config.json names,
 * fetched from the Hub (`hub`: the page's Hub address and token; null while that setting is not
 * an address). A base named by a path on the computer that trained it cannot be reached from a
 * page; the message says how to bring the two together.
 */
export async function onHubBaseIfBareAdapter(source: ModelFileSource, hub: HubSourceOptions | null): Promise<ModelFileSource> {
  if (!(await source.has(ADAPTER_CONFIG)) || (await source.has('config.json'))) return source;
  const at = `${source.label}/${ADAPTER_CONFIG}`;
  const base = adapterBaseName(await readJson(source, ADAPTER_CONFIG), at);
  if (!parseHubReference(base)) {
    throw new ModelFileError(
      `${source.label} is a LoRA adapter without its base model, and ${at} names the base ${JSON.stringify(base)}, a path on the computer that saved it: put the adapter's files in that model's folder and drop the folder, or set base_model_name_or_path to the base's Hugging Face repo id`,
    );
  }
  if (!hub) throw new ModelFileError(`${source.label} is a LoRA adapter on ${base}, to be fetched from the Hub, but the Hub address setting is not an address: correct it, or clear it for huggingface.co`);
  return adapterOverBase(source, hubSource(base, hub));
}
