// A LoRA adapter folder as TRL saves it (PEFT's files, written here by PEFT itself for the
// llama-gqa fixture, and the tokenizer; no base weights) opens in the lab on the base folder its
// adapter_config.json names, exactly as the same adapter beside its base does.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelSource } from '../../src/cli/args.ts';
import { ModelFileError } from '../../src/model/files.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';

const FIXTURE = 'tests/fixtures/models/llama-gqa';
const dir = mkdtempSync(join(tmpdir(), 'lab-adapter-'));
const base = join(dir, 'base');
const adapter = join(dir, 'trl-output');
const together = join(dir, 'together');
for (const folder of [base, adapter, together]) mkdirSync(folder);
for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
  cpSync(join(FIXTURE, file), join(base, file));
  cpSync(join(FIXTURE, file), join(together, file));
}
// A lab run's record in the base folder must not pass for the adapter's.
writeFileSync(join(base, 'alphaalign_run.json'), JSON.stringify({ kind: 'alphaalign', step: 7 }));
const adapterConfig = JSON.parse(readFileSync(join(FIXTURE, 'lora/adapter_config.json'), 'utf8')) as Record<string, unknown>;
for (const [folder, baseName] of [[adapter, '../base'], [together, '.']] as const) {
  writeFileSync(join(folder, 'adapter_config.json'), JSON.stringify({ ...adapterConfig, base_model_name_or_path: baseName }));
  cpSync(join(FIXTURE, 'lora/adapter_model.safetensors'), join(folder, 'adapter_model.safetensors'));
}
for (const file of ['tokenizer.json', 'tokenizer_config.json']) cpSync(join(FIXTURE, file), join(adapter, file));

describe('a LoRA adapter saved without its base', () => {
  it('loads on the base its adapter_config.json names, as the adapter beside its base does', async () => {
    const fromAdapter = await loadCheckpoint(modelSource(adapter));
    const fromFolder = await loadCheckpoint(modelSource(together));
    expect(fromAdapter.config).toEqual(fromFolder.config);
    expect([...fromAdapter.weights.keys()]).toEqual([...fromFolder.weights.keys()]);
    for (const [name, data] of fromFolder.weights) expect(fromAdapter.weights.get(name)!.every((x, i) => Object.is(x, data[i]))).toBe(true);
    expect(fromAdapter.adapter!.settings).toEqual(fromFolder.adapter!.settings);
    expect(fromAdapter.adapter!.weights.size).toBeGreaterThan(0);
    for (const [name, data] of fromFolder.adapter!.weights) expect(fromAdapter.adapter!.weights.get(name)).toEqual(data);
    expect(fromAdapter.run).toBeNull();
  });

  it('says which base it needs when that base is not a folder here', () => {
    const hubOnly = join(dir, 'hub-only');
    mkdirSync(hubOnly);
    writeFileSync(join(hubOnly, 'adapter_config.json'), JSON.stringify({ ...adapterConfig, base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct' }));
    expect(() => modelSource(hubOnly)).toThrow(ModelFileError);
    expect(() => modelSource(hubOnly)).toThrow(/is a LoRA adapter without its base model, .*"Qwen\/Qwen2\.5-0\.5B-Instruct", which is not a folder here: download that model/);
  });
});
