// A reward model the user supplies as an ONNX file plus its tokenizer.json (onnxTextModel.ts): it
// scores (prompt, answer) pairs for the helpfulness reward, one score per sequence.
import type { TextTokenizer } from '../model/tokenizer.ts';
import { OnnxModelError, OnnxTextModel, onnxTextModelFromFiles } from './onnxTextModel.ts';

export class OnnxRewardModel {
  constructor(private readonly model: OnnxTextModel) {}

  static async create(onnxBytes: Uint8Array, tokenizer: TextTokenizer, label = 'reward model'): Promise<OnnxRewardModel> {
    return new OnnxRewardModel(await OnnxTextModel.create(onnxBytes, tokenizer, label));
  }

  /** The model's score of `answer` to `prompt`, as its chat template shows the pair (or prompt, newline, answer). */
  async score(prompt: string, answer: string): Promise<number> {
    const { tokenizer } = this.model;
    const text = tokenizer.hasChatTemplate
      ? tokenizer.applyChatTemplate(
          [
            { role: 'user', content: prompt },
            { role: 'assistant', content: answer },
          ],
          false,
        )
      : `${prompt}\n${answer}`;
    const { values, name, dims } = await this.model.run(text);
    if (values.length !== 1) throw new OnnxModelError(`${this.model.label}'s output ${name} has shape [${dims.join(', ')}]: the lab expects one score per sequence`);
    return values[0]!;
  }
}

/** A reward model from its files by name: one `.onnx` file, `tokenizer.json`, and optionally `tokenizer_config.json`. */
export async function rewardModelFromFiles(files: ReadonlyMap<string, Uint8Array>, label: string): Promise<OnnxRewardModel> {
  return new OnnxRewardModel(await onnxTextModelFromFiles(files, label, 'the reward model'));
}
