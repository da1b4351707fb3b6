// A text model the user supplies as an ONNX file plus its tokenizer.json, run with onnxruntime-web
// on its wasm backend (the page and Node alike): the helpfulness reward model and the refusal
// classifier both are one. The graph takes input_ids (int64, (1, L)) and, where it asks for them,
// attention_mask and token_type_ids; what its first output means is the caller's business.
import * as ort from 'onnxruntime-web';
import { TextTokenizer } from '../model/tokenizer.ts';

export class OnnxModelError extends Error {
  override name = 'OnnxModelError';
}

const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

export class OnnxTextModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly tokenizer: TextTokenizer,
    readonly label: string,
    /** The model's config.json, when its files had one (a classifier's id2label); else {}. */
    readonly config: Readonly<Record<string, unknown>>,
  ) {}

  static async create(onnxBytes: Uint8Array, tokenizer: TextTokenizer, label: string, config: Readonly<Record<string, unknown>> = {}): Promise<OnnxTextModel> {
    ort.env.wasm.numThreads = 1;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'] });
    } catch (error) {
      throw new OnnxModelError(`${label} is not an ONNX model onnxruntime-web can run: ${(error as Error).message}`);
    }
    if (!session.inputNames.includes('input_ids')) {
      throw new OnnxModelError(`${label} has no input named input_ids (it has ${session.inputNames.join(', ')}): export it with the usual Hugging Face input names`);
    }
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.includes(n));
    if (unknown.length > 0) throw new OnnxModelError(`${label} asks for inputs the lab cannot fill: ${unknown.join(', ')} (it fills ${KNOWN_INPUTS.join(', ')})`);
    return new OnnxTextModel(session, tokenizer, label, config);
  }

  /** The first output's values for one text, and the output's name and shape for messages. */
  async run(text: string): Promise<{ values: number[]; name: string; dims: readonly number[] }> {
    const ids = this.tokenizer.encode(text);
    const L = ids.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const values = name === 'input_ids' ? ids.map(BigInt) : Array.from({ length: L }, () => (name === 'attention_mask' ? 1n : 0n));
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(values), [1, L]);
    }
    const name = this.session.outputNames[0]!;
    const output = (await this.session.run(feeds))[name]!;
    return { values: Array.from(output.data as Float32Array | Float64Array, Number), name, dims: output.dims };
  }
}

function parseJsonFile(bytes: Uint8Array, name: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new OnnxModelError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  throw new OnnxModelError(`${name} is not a JSON object`);
}

/** The files an ONNX text model is given by (a folder's, or files the user picked): .onnx, tokenizer and configs. */
export const ONNX_MODEL_FILE = /\.onnx$|^tokenizer\.json$|^tokenizer_config\.json$|^config\.json$/;

/**
 * A model from its files by name: exactly one `.onnx` file, `tokenizer.json`, and optionally
 * `tokenizer_config.json` (for a chat template) and `config.json` (a classifier's id2label).
 * `what` names the model in messages ("the reward model").
 */
export async function onnxTextModelFromFiles(files: ReadonlyMap<string, Uint8Array>, label: string, what: string): Promise<OnnxTextModel> {
  const onnxNames = [...files.keys()].filter((name) => name.endsWith('.onnx'));
  if (onnxNames.length !== 1) {
    throw new OnnxModelError(`${label} needs exactly one .onnx file, found ${onnxNames.length === 0 ? 'none' : onnxNames.join(', ')}: give ${what}'s .onnx and its tokenizer.json`);
  }
  const tokenizerJson = files.get('tokenizer.json');
  if (!tokenizerJson) throw new OnnxModelError(`${label} has no tokenizer.json: give ${what}'s tokenizer.json beside its .onnx file`);
  const tokenizerConfigBytes = files.get('tokenizer_config.json');
  const tokenizerConfig = tokenizerConfigBytes ? parseJsonFile(tokenizerConfigBytes, 'tokenizer_config.json') : {};
  const tokenizer = new TextTokenizer(parseJsonFile(tokenizerJson, 'tokenizer.json'), tokenizerConfig, `${label}/tokenizer.json`);
  const configBytes = files.get('config.json');
  return OnnxTextModel.create(files.get(onnxNames[0]!)!, tokenizer, `${label}/${onnxNames[0]}`, configBytes ? parseJsonFile(configBytes, 'config.json') : {});
}
