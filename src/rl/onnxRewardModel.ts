// A reward model the user supplies as an ONNX file plus its tokenizer.json, run with
// onnxruntime-web on its wasm backend (the page and Node alike): it scores (prompt, answer) pairs
// for the helpfulness reward. The graph takes input_ids (int64, (1, L)) and, where it asks for
// them, attention_mask and token_type_ids, and returns one score per sequence.
import * as ort from 'onnxruntime-web';
import { TextTokenizer } from '../model/tokenizer.ts';

export class RewardModelError extends Error {
  override name = 'RewardModelError';
}

const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

export class OnnxRewardModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly label: string,
  ) {}

  static async create(onnxBytes: Uint8Array, tokenizer: TextTokenizer, label = 'reward model'): Promise<OnnxRewardModel> {
    ort.env.wasm.numThreads = 1;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'] });
    } catch (error) {
      throw new RewardModelError(`${label} is not an ONNX model onnxruntime-web can run: ${(error as Error).message}`);
    }
    if (!session.inputNames.includes('input_ids')) {
      throw new RewardModelError(`${label} has no input named input_ids (it has ${session.inputNames.join(', ')}): export it with the usual Hugging Face input names`);
    }
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.includes(n));
    if (unknown.length > 0) throw new RewardModelError(`${label} asks for inputs the lab cannot fill: ${unknown.join(', ')} (it fills ${KNOWN_INPUTS.join(', ')})`);
    return new OnnxRewardModel(session, tokenizer, label);
  }

  /** The model's score of `answer` to `prompt`, as its chat template shows the pair (or prompt, newline, answer). */
  async score(prompt: string, answer: string): Promise<number> {
    const text = this.tokenizer.hasChatTemplate
      ? this.tokenizer.applyChatTemplate(
          [
            { role: 'user', content: prompt },
            { role: 'assistant', content: answer },
          ],
          false,
        )
      : `${prompt}\n${answer}`;
    const ids = this.tokenizer.encode(text);
    const L = ids.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const values = name === 'input_ids' ? ids.map(BigInt) : Array.from({ length: L }, () => (name === 'attention_mask' ? 1n : 0n));
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(values), [1, L]);
    }
    const output = (await this.session.run(feeds))[this.session.outputNames[0]!]!;
    if (output.size !== 1) {
      throw new RewardModelError(`${this.label}'s output ${this.session.outputNames[0]} has shape [${output.dims.join(', ')}]: the lab expects one score per sequence`);
    }
    return Number((output.data as Float32Array | Float64Array)[0]);
  }
}

function parseJsonFile(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new RewardModelError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A reward model from its files by name (a folder's, or files the user picked): exactly one
 * `.onnx` file, `tokenizer.json`, and optionally `tokenizer_config.json` (for its chat template).
 */
export async function rewardModelFromFiles(files: ReadonlyMap<string, Uint8Array>, label: string): Promise<OnnxRewardModel> {
  const onnxNames = [...files.keys()].filter((name) => name.endsWith('.onnx'));
  if (onnxNames.length !== 1) {
    throw new RewardModelError(`${label} needs exactly one .onnx file, found ${onnxNames.length === 0 ? 'none' : onnxNames.join(', ')}: give the reward model's .onnx and its tokenizer.json`);
  }
  const tokenizerJson = files.get('tokenizer.json');
  if (!tokenizerJson) throw new RewardModelError(`${label} has no tokenizer.json: give the reward model's tokenizer.json beside its .onnx file`);
  const configBytes = files.get('tokenizer_config.json');
  const tokenizerConfig = configBytes ? (parseJsonFile(configBytes, 'tokenizer_config.json') as Record<string, unknown>) : {};
  const tokenizer = new TextTokenizer(parseJsonFile(tokenizerJson, 'tokenizer.json'), tokenizerConfig, `${label}/tokenizer.json`);
  return OnnxRewardModel.create(files.get(onnxNames[0]!)!, tokenizer, `${label}/${onnxNames[0]}`);
}
