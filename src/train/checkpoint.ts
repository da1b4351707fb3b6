// A checkpoint is one .zip that is a Hugging Face model folder: config.json, model.safetensors
// (HF names; what trained in f32 unless asked for 16 bits, what did not as the loaded files stored
// it, config.json's torch_dtype saying which), the tokenizer files and generation_config.json, plus
// alphaalign_run.json (what produced it) and optimizer.safetensors (AdamW's moments and step),
// so training resumes exactly. A checkpoint must resume alone (a zip exported and imported on
// another day, in a page that cannot reopen the folder the base came from), so it also holds
// what else a run's later steps read: the frozen reference policy of a full fine-tuning run
// with a KL term (reference.safetensors; the trained weights are no longer the base), and the
// critic of a PPO run (value_head.safetensors). The same files unzipped are a folder the loader
// reads.
import { unzipSync, zipSync } from 'fflate';
import type { ModelConfig } from '../model/config.ts';
import { memorySource, ModelFileError, type ModelFileSource } from '../model/files.ts';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadModel, type LoadedModel } from '../model/loader.ts';
import { adapterConfig, loraSpecs, mergeLora, type LoraSettings } from '../model/lora.ts';
import { parameterSpecs } from '../model/parameters.ts';
import { parseSafetensors, serializeSafetensors, type SafetensorsDtype } from '../model/safetensors.ts';

export const RUN_FILE = 'alphaalign_run.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const REFERENCE_FILE = 'reference.safetensors';
/** A PPO run's value head (advantage_estimator gae) with its own optimiser state, as ValueHead.save writes it. */
export const VALUE_HEAD_FILE = 'value_head.safetensors';

export interface OptimizerState {
  t: number;
  m: ReadonlyMap<string, Float32Array>;
  v: ReadonlyMap<string, Float32Array>;
}

/** What produced a checkpoint; the RL layer adds its rules, metrics and dataset hash. */
export interface RunRecord {
  appVersion: string;
  step: number;
  seed: number;
  [key: string]: unknown;
}

/**
 * Where a LoRA run's adapter goes: beside its base (a folder that loads and resumes alone), alone
 * in PEFT's layout (adapter_config.json + adapter_model.safetensors and the tokenizer, what TRL
 * users pass around; it loads on its base), or merged into the base's weights.
 */
export type AdapterLayout = 'beside-base' | 'alone' | 'merged';

export interface CheckpointContents {
  config: ModelConfig;
  weights: ReadonlyMap<string, Float32Array>;
  /** config.json, tokenizer.json, tokenizer_config.json, generation_config.json as loaded. */
  rawFiles: ReadonlyMap<string, Uint8Array>;
  /** How weights that trained are written (the whole model, or the adapter): F32 unless the user asks for 16 bits. */
  dtype: SafetensorsDtype;
  /**
   * How the loaded files stored each base tensor (LoadedModel.storedDtypes). A base that did not
   * train (LoRA) is written back as it came, and so is an adapter merged into it: a bf16 model stays
   * bf16, not widened to the engine's f32 for weights that never changed.
   */
  storedDtypes: ReadonlyMap<string, SafetensorsDtype>;
  run: RunRecord;
  /** The moments of whatever trained: the base's parameters, or the adapter's. */
  optimizer?: OptimizerState;
  /** LoRA adapters, and where they go. */
  adapter?: { settings: LoraSettings; weights: ReadonlyMap<string, Float32Array>; layout: AdapterLayout };
  /** The frozen reference policy of the KL term, by HF name, when it is a copy of its own (full fine-tuning, β > 0). */
  reference?: ReadonlyMap<string, Float32Array>;
  /** The critic of a PPO run (advantage_estimator gae), written by ValueHead.save. */
  valueHead?: Uint8Array;
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The tokenizer files as loaded: a PEFT adapter folder carries them, as TRL saves it. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/** The checkpoint as a folder's files, by name. */
export function checkpointFiles(c: CheckpointContents): Map<string, Uint8Array> {
  const tensors = tensorsOf(c);
  const layout = c.adapter?.layout;
  const files =
    layout === 'alone'
      ? new Map(TOKENIZER_FILES.flatMap((name) => (c.rawFiles.has(name) ? [[name, c.rawFiles.get(name)!] as const] : [])))
      : modelFolderFiles(c, layout === 'merged' ? mergeLora(c.config, c.adapter!.settings, c.weights, c.adapter!.weights) : c.weights, c.adapter ? 'as stored' : 'trained');
  if (c.adapter && layout !== 'merged') {
    files.set(ADAPTER_CONFIG, json(adapterConfig(c.adapter.settings, String(c.run.baseModel ?? ''))));
    files.set(ADAPTER_WEIGHTS, serializeSafetensors(tensors(c.adapter.weights), c.dtype));
  }
  if (c.reference) files.set(REFERENCE_FILE, serializeSafetensors(tensors(c.reference), losslessDtype(c.reference)));
  if (c.valueHead) files.set(VALUE_HEAD_FILE, c.valueHead);
  files.set(RUN_FILE, json(c.run));
  // Merged weights are a new base: the adapter's moments would belong to nothing in the folder.
  if (c.optimizer && layout !== 'merged') {
    const { m, v, t } = c.optimizer;
    const moments = [...m].flatMap(([name, data]) => [
      { name: `m.${name}`, shape: tensors.shapeOf(name), data },
      { name: `v.${name}`, shape: tensors.shapeOf(name), data: v.get(name)! },
    ]);
    files.set(OPTIMIZER_FILE, serializeSafetensors(moments, 'F32', { format: 'pt', step: String(t) }));
  }
  return files;
}

/**
 * The frozen base of a LoRA run as a model folder of its own (config.json, generation_config.json,
 * the tokenizer, model.safetensors as stored): what the page keeps once per run, by
 * baseContentHash, beside autosaves that hold the adapter alone.
 */
export function frozenBaseFiles(c: Pick<CheckpointContents, 'config' | 'weights' | 'rawFiles' | 'storedDtypes'>): Map<string, Uint8Array> {
  return modelFolderFiles({ ...c, dtype: 'F32' }, c.weights, 'as stored');
}

/** sha256 (hex) of the base's model.safetensors as frozenBaseFiles writes it: the same weights, stored the same way, give the same hash. */
export async function baseContentHash(files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  const weights = files.get(MODEL_WEIGHTS);
  if (!weights) throw new Error(`the base's files hold no ${MODEL_WEIGHTS}`);
  // Serialized files own a plain ArrayBuffer; the view only tells TypeScript so.
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(weights.buffer as ArrayBuffer, weights.byteOffset, weights.byteLength));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const MODEL_WEIGHTS = 'model.safetensors';

/** The tensors of the model and its adapter by name, with their shapes; shapeOf for the optimiser's moments. */
function tensorsOf(c: Pick<CheckpointContents, 'config' | 'adapter'>) {
  const specs = [...parameterSpecs(c.config), ...(c.adapter ? loraSpecs(c.config, c.adapter.settings) : [])];
  const shapes = new Map(specs.map((s) => [s.name, s.shape]));
  const shapeOf = (name: string) => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`${name} is not a parameter of this model`);
    return shape;
  };
  const tensors = (weights: ReadonlyMap<string, Float32Array>, dtypeOf?: (name: string) => SafetensorsDtype) =>
    [...weights].map(([name, data]) => ({ name, shape: shapeOf(name), data, ...(dtypeOf ? { dtype: dtypeOf(name) } : {}) }));
  return Object.assign(tensors, { shapeOf });
}

/**
 * config.json, generation_config.json, the tokenizer and model.safetensors: the base's tensors
 * 'as stored' (LoRA: they did not train; a merge keeps the base's precision), or as 'trained'
 * weights in c.dtype. config.json's torch_dtype says what the file holds.
 */
function modelFolderFiles(c: Pick<CheckpointContents, 'config' | 'rawFiles' | 'dtype' | 'storedDtypes' | 'adapter'>, weights: ReadonlyMap<string, Float32Array>, precision: 'as stored' | 'trained'): Map<string, Uint8Array> {
  const dtypeOf = (name: string) => (precision === 'trained' ? c.dtype : (c.storedDtypes.get(name) ?? c.dtype));
  const files = new Map<string, Uint8Array>(c.rawFiles);
  if (!files.has('generation_config.json')) {
    files.set('generation_config.json', json({ bos_token_id: c.config.bosTokenId, eos_token_id: c.config.eosTokenIds }));
  }
  const tensors = tensorsOf(c)(weights, dtypeOf);
  files.set(MODEL_WEIGHTS, serializeSafetensors(tensors, c.dtype));
  const config = c.rawFiles.get('config.json');
  if (config && tensors.length > 0) files.set('config.json', withTorchDtype(config, dtypeOf(tensors[0]!.name)));
  return files;
}

const TORCH_DTYPE: Record<SafetensorsDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/**
 * config.json saying the dtype its weights are in. transformers' save_pretrained sets it to the
 * dtype of the model's first floating-point parameter (get_parameter_dtype; the embedding, which
 * model.safetensors writes first), and from_pretrained(torch_dtype="auto") loads in it. Newer
 * transformers writes the key as "dtype": whichever the file has is set, torch_dtype when neither.
 * A file that already says so is kept byte for byte.
 */
function withTorchDtype(configJson: Uint8Array, dtype: SafetensorsDtype): Uint8Array {
  const config = JSON.parse(new TextDecoder().decode(configJson)) as Record<string, unknown>;
  const keys = ['torch_dtype', 'dtype'].filter((key) => key in config);
  const named = TORCH_DTYPE[dtype];
  if (keys.length > 0 && keys.every((key) => config[key] === named)) return configJson;
  for (const key of keys.length > 0 ? keys : ['torch_dtype']) config[key] = named;
  return json(config);
}

/** BF16 when every value is one (a base read from bf16 files, as most published ones are), else F32: the reference must come back bit for bit. */
function losslessDtype(weights: ReadonlyMap<string, Float32Array>): SafetensorsDtype {
  for (const data of weights.values()) {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (const b of bits) if ((b & 0xffff) !== 0) return 'F32';
  }
  return 'BF16';
}

export function checkpointZip(c: CheckpointContents): Uint8Array {
  return folderZip(checkpointFiles(c));
}

/** A folder's files as one zip. */
export function folderZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  // Safetensors barely compress; storing them keeps export fast in the page.
  const entries: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, bytes] of files) entries[name] = [bytes, { level: name.endsWith('.safetensors') ? 0 : 6 }];
  return zipSync(entries);
}

export interface LoadedCheckpoint extends LoadedModel {
  run: RunRecord | null;
  optimizer: OptimizerState | null;
  /** The saved reference policy (reference.safetensors), when the run had one of its own and can resume. */
  reference: Map<string, Float32Array> | null;
  /** The saved value head (value_head.safetensors), read by ValueHead.restore, when the run can resume. */
  valueHead: Uint8Array | null;
}

/** Reads a checkpoint (or any model folder) from a source; run and optimizer state when present. */
export async function loadCheckpoint(source: ModelFileSource, onProgress?: (done: number, total: number) => void): Promise<LoadedCheckpoint> {
  const model = await loadModel(source, onProgress);
  let run: RunRecord | null = null;
  if (await source.has(RUN_FILE)) {
    try {
      run = JSON.parse(new TextDecoder().decode(await source.read(RUN_FILE))) as RunRecord;
    } catch {
      throw new ModelFileError(`${source.label}/${RUN_FILE} is not valid JSON`);
    }
  }
  let optimizer: OptimizerState | null = null;
  if (await source.has(OPTIMIZER_FILE)) {
    const file = parseSafetensors(await source.read(OPTIMIZER_FILE), `${source.label}/${OPTIMIZER_FILE}`);
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    // The moments are of what trained: the adapter when there is one, else the base.
    for (const name of (model.adapter?.weights ?? model.weights).keys()) {
      if (!file.names.includes(`m.${name}`) || !file.names.includes(`v.${name}`)) {
        throw new ModelFileError(`${source.label}/${OPTIMIZER_FILE} has no moments for ${name}: it belongs to another model`);
      }
      m.set(name, file.read(`m.${name}`));
      v.set(name, file.read(`v.${name}`));
    }
    const t = Number(file.metadata.step);
    if (!Number.isInteger(t) || t < 0) throw new ModelFileError(`${source.label}/${OPTIMIZER_FILE} has no valid "step" in its metadata`);
    optimizer = { t, m, v };
  }
  // What only a resume reads, looked for only beside the optimiser state a resume needs: a plain
  // model (fetched file by file) is not asked for files it cannot have.
  let reference: Map<string, Float32Array> | null = null;
  if (optimizer && (await source.has(REFERENCE_FILE))) {
    const file = parseSafetensors(await source.read(REFERENCE_FILE), `${source.label}/${REFERENCE_FILE}`);
    reference = new Map();
    for (const [name, weights] of model.weights) {
      const values = file.names.includes(name) ? file.read(name) : null;
      if (values?.length !== weights.length) {
        throw new ModelFileError(`${source.label}/${REFERENCE_FILE} does not hold ${name} as the model has it: it belongs to another model`);
      }
      reference.set(name, values);
    }
  }
  const valueHead = optimizer && (await source.has(VALUE_HEAD_FILE)) ? await source.read(VALUE_HEAD_FILE) : null;
  return { ...model, run, optimizer, reference, valueHead };
}

/** A zip's entries as a source; a zip of one top-level folder is read from inside that folder. */
export function zipSource(bytes: Uint8Array, label: string): ModelFileSource {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new ModelFileError(`${label} is not a readable zip file: ${(error as Error).message}`);
  }
  const names = Object.keys(entries).filter((n) => !n.endsWith('/'));
  const prefix = names.length > 0 && names.every((n) => n.includes('/')) ? `${names[0]!.split('/')[0]}/` : '';
  const files = new Map<string, Uint8Array>();
  for (const name of names) if (name.startsWith(prefix)) files.set(name.slice(prefix.length), entries[name]!);
  return memorySource(label, files);
}
