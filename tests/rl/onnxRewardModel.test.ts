import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/model/tokenizer.ts';
import { OnnxRewardModel } from '../../src/rl/onnxRewardModel.ts';
import { meanIdRewardModel } from '../helpers/onnxModels.ts';

const dir = 'tests/fixtures/models/llama-gqa';
const tokenizer = new TextTokenizer(
  JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')),
  JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>,
);

describe('OnnxRewardModel', () => {
  it('scores a (prompt, answer) pair through onnxruntime-web, as the chat template shows it', async () => {
    const model = await OnnxRewardModel.create(meanIdRewardModel(), tokenizer);
    const ids = tokenizer.encode('<|im_start|>user\nHow?<|im_end|>\n<|im_start|>assistant\nLike this.<|im_end|>\n');
    const expected = ids.reduce((a, b) => a + b, 0) / ids.length;
    expect(await model.score('How?', 'Like this.')).toBeCloseTo(expected, 4);
  });

  it('names what is wrong with a file that is not a usable reward model', async () => {
    await expect(OnnxRewardModel.create(new Uint8Array([1, 2, 3]), tokenizer, 'rm.onnx')).rejects.toThrow(/^rm\.onnx is not an ONNX model onnxruntime-web can run/);
    await expect(OnnxRewardModel.create(meanIdRewardModel({ extraInput: 'pixel_values' }), tokenizer, 'rm.onnx')).rejects.toThrow(
      'rm.onnx asks for inputs the lab cannot fill: pixel_values',
    );
    const two = await OnnxRewardModel.create(meanIdRewardModel({ outputs: 2 }), tokenizer, 'rm.onnx');
    await expect(two.score('a', 'b')).rejects.toThrow("rm.onnx's output score has shape [2]: the lab expects one score per sequence");
  });
});
