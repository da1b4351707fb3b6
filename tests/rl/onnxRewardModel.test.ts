import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/model/tokenizer.ts';
import { OnnxRewardModel, rewardModelFromFiles } from '../../src/rl/onnxRewardModel.ts';
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

  it('loads from its files by name, and says which file is missing', async () => {
    const file = (path: string) => new Uint8Array(readFileSync(path));
    const files = new Map([
      ['rm.onnx', meanIdRewardModel()],
      ['tokenizer.json', file(`${dir}/tokenizer.json`)],
      ['tokenizer_config.json', file(`${dir}/tokenizer_config.json`)],
    ]);
    const model = await rewardModelFromFiles(files, 'my-rm');
    const direct = await OnnxRewardModel.create(meanIdRewardModel(), tokenizer);
    expect(await model.score('How?', 'Like this.')).toBeCloseTo(await direct.score('How?', 'Like this.'), 6);

    const without = (name: string) => new Map([...files].filter(([n]) => n !== name));
    await expect(rewardModelFromFiles(without('tokenizer.json'), 'my-rm')).rejects.toThrow("my-rm has no tokenizer.json: give the reward model's tokenizer.json beside its .onnx file");
    await expect(rewardModelFromFiles(without('rm.onnx'), 'my-rm')).rejects.toThrow('my-rm needs exactly one .onnx file, found none');
    await expect(rewardModelFromFiles(new Map([...files, ['other.onnx', meanIdRewardModel()]]), 'my-rm')).rejects.toThrow('found rm.onnx, other.onnx');
    await expect(rewardModelFromFiles(new Map([...files, ['tokenizer_config.json', new TextEncoder().encode('{oops')]]), 'my-rm')).rejects.toThrow(/^tokenizer_config\.json is not valid JSON/);
  });
});
