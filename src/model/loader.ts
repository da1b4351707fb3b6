// One loader for every source of a Hugging Face model folder: config.json, tokenizer.json (+
// tokenizer_config.json), and model.safetensors or the shards of model.safetensors.index.json.
// Every tensor the config implies is checked by name and shape; problems name the file.
import { parseModelConfig, type ModelConfig } from './config.ts';
import { loraSpecs, parseAdapterConfig, type LoraSettings } from './lora.ts';
import { ModelFileError, readJson, type ModelFileSource } from './files.ts';
import { parameterSpecs } from './parameters.ts';
import { parseSafetensors, type SafetensorsDtype, type SafetensorsFile } from './safetensors.ts';
import { TextTokenizer } from './tokenizer.ts';
import type { TensorDtype } from '../gpu/gpu.ts';

export interface LoadedModel {
  config: ModelConfig;
  tokenizer: TextTokenizer;
  /** f32 weights by Hugging Face name, exactly the tensors of parameterSpecs(config). */
  weights: Map<string, Float32Array>;
  /**
   * How the files store the weights: 'bf16' or 'f16' when every tensor is so (a frozen base can
   * stay so on the GPU: weightsStorage), else 'f32'.
   */
  dtype: TensorDtype;
  /** How the files store each tensor, by HF name: a checkpoint writes back what did not train as it came (checkpoint.ts). */
  storedDtypes: Map<string, SafetensorsDtype>;
  /** The raw config.json and tokenizer files, written back unchanged on export. */
  rawFiles: Map<string, Uint8Array>;
  /** A PEFT LoRA adapter in the folder (adapter_config.json + adapter_model.safetensors), if any. */
  adapter: { settings: LoraSettings; weights: Map<string, Float32Array> } | null;
  /** What loads but is likely wrong, for the user to read: the CLI writes it to stderr, the Model panel shows it. */
  warnings: string[];
}

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

const WEIGHTS = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

export async function loadModel(source: ModelFileSource, onProgress?: (done: number, total: number) => void): Promise<LoadedModel> {
  const at = (name: string) => `${source.label}/${name}`;
  for (const required of ['config.json', 'tokenizer.json']) {
    if (!(await source.has(required))) {
      throw new ModelFileError(`${at(required)} is missing: a model folder needs config.json, tokenizer.json and ${WEIGHTS}`);
    }
  }
  const rawFiles = new Map<string, Uint8Array>();
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
    if (await source.has(name)) rawFiles.set(name, await source.read(name));
  }
  const config = parseModelConfig(await readJson(source, 'config.json'), at('config.json'));
  const tokenizerConfig = rawFiles.has('tokenizer_config.json') ? ((await readJson(source, 'tokenizer_config.json')) as Record<string, unknown>) : {};
  const tokenizer = new TextTokenizer(await readJson(source, 'tokenizer.json'), tokenizerConfig, at('tokenizer.json'));
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ModelFileError(
      `${at('tokenizer.json')} has token ids up to ${tokenizer.vocabSize - 1} but the embedding has ${config.vocabSize} rows ` +
        '(vocab_size in config.json): the tokenizer does not belong to this model',
    );
  }
  const coverage = tokenizerCoverageWarning(tokenizer.vocabSize, config.vocabSize, at('tokenizer.json'));

  // Which file holds each tensor.
  const shardOf = new Map<string, string>();
  if (await source.has(INDEX)) {
    const index = (await readJson(source, INDEX)) as { weight_map?: Record<string, string> };
    if (!index.weight_map || typeof index.weight_map !== 'object') throw new ModelFileError(`${at(INDEX)} has no "weight_map"`);
    for (const [name, file] of Object.entries(index.weight_map)) shardOf.set(name, file);
    for (const file of new Set(shardOf.values())) {
      if (!(await source.has(file))) throw new ModelFileError(`${at(INDEX)} names the shard ${file}, which is missing from ${source.label}`);
    }
  } else if (!(await source.has(WEIGHTS))) {
    throw new ModelFileError(`${source.label} has neither ${WEIGHTS} nor ${INDEX}`);
  }

  const specs = parameterSpecs(config);
  const byFile = new Map<string, typeof specs>();
  for (const spec of specs) {
    const file = shardOf.size > 0 ? shardOf.get(spec.name) : WEIGHTS;
    if (!file) throw new ModelFileError(`${at(INDEX)} does not list the tensor ${spec.name}, which this config needs`);
    byFile.set(file, [...(byFile.get(file) ?? []), spec]);
  }

  const weights = new Map<string, Float32Array>();
  const storedDtypes = new Map<string, SafetensorsDtype>();
  let done = 0;
  for (const [file, fileSpecs] of byFile) {
    const parsed: SafetensorsFile = parseSafetensors(await source.read(file), at(file));
    for (const spec of fileSpecs) {
      if (!parsed.names.includes(spec.name)) {
        throw new ModelFileError(`${at(file)} has no tensor ${spec.name}, which ${at('config.json')} implies`);
      }
      const shape = parsed.shape(spec.name);
      if (shape.join() !== spec.shape.join()) {
        throw new ModelFileError(
          `${at(file)}: ${spec.name} has shape [${shape.join(', ')}] but config.json implies [${spec.shape.join(', ')}]`,
        );
      }
      weights.set(spec.name, parsed.read(spec.name));
      storedDtypes.set(spec.name, parsed.dtype(spec.name));
      onProgress?.(++done, specs.length);
    }
  }
  const dtypes = new Set(storedDtypes.values());
  const dtype = dtypes.size === 1 && dtypes.has('BF16') ? 'bf16' : dtypes.size === 1 && dtypes.has('F16') ? 'f16' : 'f32';
  return { config, tokenizer, weights, dtype, storedDtypes, rawFiles, adapter: await loadAdapter(source, config), warnings: coverage ? [coverage] : [] };
}

/**
 * A tokenizer that reaches under half of the embedding's rows, said with both sizes; null when it
 * fits. Embeddings are padded past their tokenizer to a round size (Qwen2.5: 151,665 tokens in
 * 151,936 rows), but rounding up to a multiple of any step no larger than the vocabulary, or to a
 * power of two, leaves fewer unused rows than there are tokens. More than that means the tokenizer
 * is another model's: it loads, but the prompts become ids the embedding was not trained on.
 */
export function tokenizerCoverageWarning(tokens: number, rows: number, tokenizerFile: string): string | null {
  if (2 * tokens >= rows) return null;
  const count = (n: number) => n.toLocaleString('en-US');
  return (
    `${tokenizerFile} has ${count(tokens)} tokens but the embedding has ${count(rows)} rows (vocab_size in config.json): ` +
    `${count(rows - tokens)} rows no token reaches, more than padding to a round size leaves. The tokenizer is likely another model's ` +
    "and its ids not the ones this model was trained on: use the model's own tokenizer.json"
  );
}

/**
 * How a model's weights are stored on the GPU: a frozen base (LoRA, the KL's reference copy, a
 * model only run forward) keeps the files' 16 bits; what trains in full is f32.
 */
export function weightsStorage(loaded: Pick<LoadedModel, 'dtype'>, frozen: boolean): TensorDtype {
  return frozen ? loaded.dtype : 'f32';
}

async function loadAdapter(source: ModelFileSource, config: ModelConfig): Promise<LoadedModel['adapter']> {
  if (!(await source.has(ADAPTER_CONFIG))) return null;
  const at = (name: string) => `${source.label}/${name}`;
  const settings = parseAdapterConfig((await readJson(source, ADAPTER_CONFIG)) as Record<string, unknown>, at(ADAPTER_CONFIG));
  if (!(await source.has(ADAPTER_WEIGHTS))) throw new ModelFileError(`${at(ADAPTER_CONFIG)} is there but ${ADAPTER_WEIGHTS} is missing`);
  const file = parseSafetensors(await source.read(ADAPTER_WEIGHTS), at(ADAPTER_WEIGHTS));
  const weights = new Map<string, Float32Array>();
  for (const spec of loraSpecs(config, settings)) {
    if (!file.names.includes(spec.name)) throw new ModelFileError(`${at(ADAPTER_WEIGHTS)} has no tensor ${spec.name}, which ${ADAPTER_CONFIG} implies`);
    const shape = file.shape(spec.name);
    if (shape.join() !== spec.shape.join()) {
      throw new ModelFileError(`${at(ADAPTER_WEIGHTS)}: ${spec.name} has shape [${shape.join(', ')}] but the config implies [${spec.shape.join(', ')}]`);
    }
    weights.set(spec.name, file.read(spec.name));
  }
  return { settings, weights };
}
