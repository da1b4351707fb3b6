// A LoRA adapter folder as TRL saves it (PEFT's files, written here by PEFT itself for the
// llama-gqa fixture, and the tokenizer; no base weights) opens in the lab on the base folder its
// adapter_config.json names, exactly as the same adapter beside its base does.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelSource } from '../../src/cli/args.ts';
import { onHubBaseIfBareAdapter } from '../../src/export/adapterSource.ts';
import { memorySource, ModelFileError, type ModelFileSource } from '../../src/model/files.ts';
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

/** The adapter folder's files as the page gets them when dropped, with base_model_name_or_path set to `base`. */
function droppedAdapter(base: string): ModelFileSource {
  const files = new Map<string, Uint8Array>();
  for (const file of ['adapter_model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) files.set(file, new Uint8Array(readFileSync(join(adapter, file))));
  files.set('adapter_config.json', new TextEncoder().encode(JSON.stringify({ ...adapterConfig, base_model_name_or_path: base })));
  return memorySource('trl-output', files);
}

describe('a LoRA adapter dropped into the page without its base', () => {
  const HUB = 'http://127.0.0.1:9/hub';
  const asked: string[] = [];
  // The Hub as a fetch: the base folder's files under /{repo}/resolve/main/.
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    asked.push(`${init?.method ?? 'GET'} ${url}`);
    const match = /\/hub\/base-org\/tiny-base\/resolve\/main\/(.+)$/.exec(url);
    const file = match ? join(base, match[1]!) : null;
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = new Uint8Array(readFileSync(file ?? '/nonexistent'));
    } catch {
      return new Response('Entry not found', { status: 404 });
    }
    return new Response(init?.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-length': String(body.byteLength) } });
  }) as typeof fetch;

  it('opens on its base fetched from the Hub, as the adapter beside its base does', async () => {
    const source = await onHubBaseIfBareAdapter(droppedAdapter('base-org/tiny-base'), { baseUrl: HUB, fetchFn });
    expect(source.label).toBe('trl-output (on base-org/tiny-base)');
    const fromHub = await loadCheckpoint(source);
    const fromFolder = await loadCheckpoint(modelSource(together));
    expect(fromHub.config).toEqual(fromFolder.config);
    for (const [name, data] of fromFolder.weights) expect(fromHub.weights.get(name)!.every((x, i) => Object.is(x, data[i]))).toBe(true);
    for (const [name, data] of fromFolder.adapter!.weights) expect(fromHub.adapter!.weights.get(name)).toEqual(data);
    expect(asked).toContain(`GET ${HUB}/base-org/tiny-base/resolve/main/model.safetensors`);
    // The adapter's own tokenizer is used; a lab run's record is never asked of the base.
    expect(asked.some((request) => /tokenizer|alphaalign_run/.test(request))).toBe(false);
    expect(fromHub.run).toBeNull();
  });

  it('leaves a model folder, or one with its adapter beside the base, as it is', async () => {
    const folder = memorySource('folder', new Map([['config.json', new Uint8Array(readFileSync(join(together, 'config.json')))], ['adapter_config.json', new Uint8Array(2)]]));
    expect(await onHubBaseIfBareAdapter(folder, null)).toBe(folder);
  });

  it('names the way out for a base given as a path, no base, or no valid Hub address', async () => {
    for (const path of ['../base', '/home/me/models/Qwen2.5-0.5B', 'C:\\models\\qwen']) {
      await expect(onHubBaseIfBareAdapter(droppedAdapter(path), { baseUrl: HUB, fetchFn })).rejects.toThrow(
        `trl-output is a LoRA adapter without its base model, and trl-output/adapter_config.json names the base ${JSON.stringify(path)}, a path on the computer that saved it: put the adapter's files in that model's folder and drop the folder, or set base_model_name_or_path to the base's Hugging Face repo id`,
      );
    }
    await expect(onHubBaseIfBareAdapter(droppedAdapter(' '), { baseUrl: HUB, fetchFn })).rejects.toThrow('trl-output/adapter_config.json names no base model (base_model_name_or_path)');
    await expect(onHubBaseIfBareAdapter(droppedAdapter('base-org/tiny-base'), null)).rejects.toThrow('the Hub address setting is not an address: correct it');
  });
});
