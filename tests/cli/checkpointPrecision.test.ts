// A LoRA run's checkpoint folder in the base's own precision: a bf16 model of Qwen2.5-0.5B's width
// and vocabulary (2 layers, 332 MB) trained one step with `lab sft --lora` and with `lab train`
// (finetune lora) keeps every frozen tensor BF16, config.json's torch_dtype says what the file
// holds, and the folder is the base's size plus the adapter and its optimiser state, not the base
// widened to f32. One step of the smallest batch and shortest sequences: the size is the point.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { writeShapedModel } from '../helpers/shapedModel.ts';
import { lab } from './lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'lab-precision-'));
const base = join(dir, 'qwen2.5-0.5b-2layers-bf16');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  writeShapedModel('qwen2.5-0.5b-2layers', base, 'BF16');
}, 300_000);

const folderBytes = (folder: string) => readdirSync(folder).reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
const TORCH_DTYPE = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' } as const;

/** What the Must-reach asks of a LoRA run's folder; the sizes, for the log. */
function expectBaseAsStored(out: string) {
  const weights = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))), 'model.safetensors');
  const widened = weights.names.filter((name) => weights.dtype(name) !== 'BF16');
  expect(widened, 'frozen tensors not BF16').toEqual([]);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { torch_dtype: string };
  expect(config.torch_dtype).toBe(TORCH_DTYPE[weights.dtype(weights.names[0]!)]);
  const trained = statSync(join(out, 'adapter_model.safetensors')).size + statSync(join(out, 'optimizer.safetensors')).size;
  const input = folderBytes(base);
  const written = folderBytes(out);
  expect(written).toBeLessThanOrEqual(1.1 * input + trained);
  return { input, written, trained };
}

describe('a bf16 LoRA run writes its frozen base as bf16', { timeout: 900_000 }, () => {
  it('lab sft --lora', () => {
    const data = join(dir, 'sft.jsonl');
    writeFileSync(data, ['{"prompt":"the thin","response":"answer on the"}', '{"prompt":"on the","response":"an answer"}'].join('\n'));
    const out = join(dir, 'sft');
    const result = lab(['sft', '--model', base, '--data', data, '--steps', '1', '--batch-size', '1', '--seq-len', '12', '--lora', '--lora-rank', '2', '--out', out], process.env, 900_000);
    expect(result.status, result.stderr).toBe(0);
    console.log('lab sft --lora', expectBaseAsStored(out));
  });

  it('lab train with finetune lora', () => {
    const data = join(dir, 'rl.jsonl');
    writeFileSync(data, ['{"prompt":"the thin","label":"harmful"}', '{"prompt":"answer on","label":"benign"}'].join('\n'));
    const config = join(dir, 'rl-config.json');
    const settings = { num_generations: 2, prompts_per_step: 1, per_device_train_batch_size: 2, generation_batch_size: 2, max_completion_length: 2, template: 'Q: {{prompt}}', eval_steps: 0, finetune: { kind: 'lora', rank: 2 } };
    writeFileSync(config, JSON.stringify(settings));
    const out = join(dir, 'train');
    const result = lab(['train', '--model', base, '--data', data, '--config', config, '--steps', '1', '--held-out', '0', '--out', out], process.env, 900_000);
    expect(result.status, result.stderr).toBe(0);
    console.log('lab train (LoRA)', expectBaseAsStored(out));
  });
});
