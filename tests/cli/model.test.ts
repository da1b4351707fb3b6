import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.ts';
import { lab } from './lab.ts';

const MODEL = 'tests/fixtures/models/llama-gqa';

describe('lab logits', () => {
  it('writes the full logits as JSON, equal to PyTorch on a prefix of the fixture batch', () => {
    const expected = JSON.parse(readFileSync(`${MODEL}/expected.json`, 'utf8')) as { input_ids: number[][] };
    const ids = expected.input_ids[0]!.slice(0, 5);
    const out = join(mkdtempSync(join(tmpdir(), 'lab-logits-')), 'logits.json');
    const result = lab(['logits', '--model', MODEL, '--tokens', ids.join(','), '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const { logits } = JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][] };
    const reference = parseSafetensors(readFileSync(`${MODEL}/expected.safetensors`), 'expected').read('logits'); // (2, 9, 300)
    expect(logits).toHaveLength(5);
    let max = 0;
    let err = 0;
    for (let t = 0; t < 5; t++) {
      for (let v = 0; v < 300; v++) {
        max = Math.max(max, Math.abs(reference[t * 300 + v]!));
        err = Math.max(err, Math.abs(logits[t]![v]! - reference[t * 300 + v]!));
      }
    }
    expect(err / max).toBeLessThan(1e-4);
  });

  /** `lab logits` on a folder: the logits of the fixture's first 5 tokens and what it said on stderr. */
  const logitsOf = (model: string) => {
    const ids = (JSON.parse(readFileSync(`${MODEL}/expected.json`, 'utf8')) as { input_ids: number[][] }).input_ids[0]!.slice(0, 5);
    const out = join(mkdtempSync(join(tmpdir(), 'lab-logits-')), 'logits.json');
    const result = lab(['logits', '--model', model, '--tokens', ids.join(','), '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    return { logits: (JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][] }).logits, stderr: result.stderr };
  };
  const peakMiB = (stderr: string) => Number(/GPU memory peak ([\d.]+) MiB/.exec(stderr)?.[1]);

  it('keeps a bf16 checkpoint in 16 bits on the GPU (nothing trains), with the logits of its f32 widening', () => {
    // The same weights twice: rounded to bf16 and stored so, and widened back to f32.
    const dir = mkdtempSync(join(tmpdir(), 'lab-logits-bf16-'));
    const whole = parseSafetensors(readFileSync(`${MODEL}/model.safetensors`), 'fixture');
    const tensors = whole.names.map((name) => ({ name, shape: whole.shape(name), data: whole.read(name) }));
    const bf16 = serializeSafetensors(tensors, 'BF16');
    const rounded = parseSafetensors(bf16, 'bf16');
    for (const [folder, bytes] of [
      ['bf16', bf16],
      ['f32', serializeSafetensors(rounded.names.map((name) => ({ name, shape: rounded.shape(name), data: rounded.read(name) })))],
    ] as const) {
      mkdirSync(join(dir, folder));
      writeFileSync(join(dir, folder, 'model.safetensors'), bytes);
      for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(MODEL, file), join(dir, folder, file));
    }
    const stored = logitsOf(join(dir, 'bf16'));
    const widened = logitsOf(join(dir, 'f32'));
    expect(stored.stderr).toContain('weights on the GPU as bf16');
    expect(widened.stderr).toContain('weights on the GPU as f32');
    expect(peakMiB(stored.stderr)).toBeLessThan(peakMiB(widened.stderr));
    const max = Math.max(...widened.logits.flat().map(Math.abs));
    const err = Math.max(...widened.logits.flatMap((row, t) => row.map((x, v) => Math.abs(x - stored.logits[t]![v]!))));
    expect(err / max).toBeLessThan(1e-5);
  });

  it("applies a checkpoint's LoRA adapter, as PyTorch's PEFT model does", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-logits-lora-'));
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) copyFileSync(join(MODEL, file), join(dir, file));
    for (const file of ['adapter_config.json', 'adapter_model.safetensors']) copyFileSync(join(MODEL, 'lora', file), join(dir, file));
    const { logits } = logitsOf(dir);
    const reference = parseSafetensors(readFileSync(`${MODEL}/lora/expected.safetensors`), 'expected').read('logits'); // (2, 9, 300)
    const base = parseSafetensors(readFileSync(`${MODEL}/expected.safetensors`), 'expected').read('logits');
    let [max, err, fromBase] = [0, 0, 0];
    for (let t = 0; t < 5; t++) {
      for (let v = 0; v < 300; v++) {
        max = Math.max(max, Math.abs(reference[t * 300 + v]!));
        err = Math.max(err, Math.abs(logits[t]![v]! - reference[t * 300 + v]!));
        fromBase = Math.max(fromBase, Math.abs(base[t * 300 + v]! - reference[t * 300 + v]!));
      }
    }
    expect(err / max).toBeLessThan(1e-4);
    expect(fromBase / max).toBeGreaterThan(1e-3); // the adapter does change the logits
  });

  it('refuses a token id outside the vocabulary and a missing model with clear messages', () => {
    const bad = lab(['logits', '--model', MODEL, '--tokens', '1,300']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--tokens: "300" is not a token id in [0, 300)');
    const missing = lab(['logits', '--model', 'no/such/dir', '--tokens', '1']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no/such/dir does not exist: pass a Hugging Face model folder or a checkpoint .zip');
  });
});

describe('lab generate', () => {
  it('samples a reply reproducibly from a seed', () => {
    const args = ['generate', '--model', MODEL, '--prompt', 'the answer', '--max-new-tokens', '6', '--temperature', '0.8', '--seed', '4'];
    const a = lab(args);
    expect(a.status, a.stderr).toBe(0);
    expect(lab(args).stdout).toBe(a.stdout);
    const bad = lab(['generate', '--model', MODEL, '--prompt', 'x', '--temperature', '101']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--temperature must be between 0 and 100, not 101');
  });
});

describe('lab sft', () => {
  it('trains from a JSONL file and writes a checkpoint folder that loads and resumes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-sft-'));
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, ['{"prompt": "Say hi", "response": "hi"}', '{"prompt": "Say no", "response": "no"}', 'not json'].join('\n'));
    const out = join(dir, 'out');
    const result = lab(['sft', '--model', MODEL, '--data', data, '--steps', '2', '--batch-size', '2', '--seq-len', '24', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${data}:3: the line is not valid JSON (skipped)`);
    expect(result.stderr).toMatch(/step 2\/2 {2}loss \d/);
    // The buffer pool's measured peak, within the memory planner's plan.
    expect(result.stderr).toMatch(/GPU memory peak: measured \d+\.\d MiB, planned \d+\.\d MiB \(within the plan\)/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'alphaalign_run.json', 'optimizer.safetensors']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const run = JSON.parse(readFileSync(join(out, 'alphaalign_run.json'), 'utf8')) as { step: number; kind: string };
    expect(run).toMatchObject({ step: 2, kind: 'sft' });
    const resumed = lab(['sft', '--model', out, '--data', data, '--steps', '1', '--batch-size', '2', '--seq-len', '24', '--out', join(dir, 'out2')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'out2', 'alphaalign_run.json'), 'utf8')) as { step: number }).step).toBe(3);
  });

  it('names a data file without responses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-sft-'));
    const data = join(dir, 'prompts.csv');
    writeFileSync(data, 'prompt,label\nhello,safe\n');
    const result = lab(['sft', '--model', MODEL, '--data', data, '--steps', '1', '--out', join(dir, 'o')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('has no rows with a response');
  });
});

describe('lab sft --lora', () => {
  it('trains a PEFT adapter with the base frozen, and resumes it from the checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-lora-'));
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, '{"prompt": "Say hi", "response": "hi"}\n{"prompt": "Say no", "response": "no"}\n');
    const out = join(dir, 'out');
    const common = ['--data', data, '--batch-size', '2', '--seq-len', '24', '--lr', '0.01'];
    const result = lab(['sft', '--model', MODEL, ...common, '--steps', '2', '--lora-rank', '2', '--lora-targets', 'q_proj,v_proj', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const adapter = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as { r: number; target_modules: string[] };
    expect(adapter).toMatchObject({ r: 2, target_modules: ['q_proj', 'v_proj'] });
    // The base is written back unchanged.
    const base = parseSafetensors(readFileSync(`${MODEL}/model.safetensors`), 'base');
    const after = parseSafetensors(readFileSync(join(out, 'model.safetensors')), 'after');
    expect(after.read('model.layers.0.self_attn.q_proj.weight')).toEqual(base.read('model.layers.0.self_attn.q_proj.weight'));
    const resumed = lab(['sft', '--model', out, ...common, '--steps', '1', '--out', join(dir, 'out2')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(existsSync(join(dir, 'out2', 'adapter_model.safetensors'))).toBe(true);

    const badTarget = lab(['sft', '--model', MODEL, ...common, '--steps', '1', '--lora-targets', 'q_proj,wq', '--out', join(dir, 'x')]);
    expect(badTarget.status).toBe(2);
    expect(badTarget.stderr).toContain('"wq" is not a LoRA target');
  });
});

describe('lab sft --direct-refusal', () => {
  it('trains the baseline from labelled prompts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-direct-'));
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, '{"prompt": "Do harm", "label": "harmful"}\n{"prompt": "Bake", "label": "benign", "reference": "Use flour."}\n');
    const out = join(dir, 'out');
    const result = lab(['sft', '--model', MODEL, '--data', data, '--direct-refusal', '--steps', '1', '--batch-size', '2', '--seq-len', '64', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'alphaalign_run.json'), 'utf8'))).toMatchObject({ kind: 'sft direct refusal' });
  });
});

describe('lab sft sequence length', () => {
  it('refuses sequences longer than the model has positions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-long-'));
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, '{"prompt": "a", "response": "b"}\n');
    const result = lab(['sft', '--model', MODEL, '--data', data, '--steps', '1', '--seq-len', '160', '--out', join(dir, 'o')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("sequences of 160 tokens exceed the model's 64 positions (max_position_embeddings): use shorter sequences");
  });
});
