import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { checkpointFiles, checkpointZip, loadCheckpoint, zipSource } from '../../src/train/checkpoint.ts';
import { LmTrainer } from '../../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/train/optimizer.ts';
import { randInts } from '../helpers/random.ts';
import { testGpu } from '../helpers/testGpu.ts';

const run = { appVersion: 'test', step: 3, seed: 11 };
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('checkpoints', () => {
  it('export → import of f32 weights and optimiser state is bit-exact', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/qwen2-bias'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const trainer = new LmTrainer(model, 1, 8, DEFAULT_OPTIMIZER);
    const tokens = Array.from(randInts(8, 300, 1));
    await trainer.step([{ tokens, targets: tokens, mask: tokens.map(() => 1) }]);
    const weights = await model.weights.download();
    const optimizer = await trainer.optimizer.exportState();
    const zip = checkpointZip({ config: loaded.config, weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype: 'F32', run, optimizer });

    const back = await loadCheckpoint(zipSource(zip, 'checkpoint.zip'));
    expect(back.run).toEqual(run);
    expect(back.optimizer!.t).toBe(1);
    for (const [name, w] of weights) {
      expect(bits(back.weights.get(name)!)).toEqual(bits(w));
      expect(bits(back.optimizer!.m.get(name)!)).toEqual(bits(optimizer.m.get(name)!));
      expect(bits(back.optimizer!.v.get(name)!)).toEqual(bits(optimizer.v.get(name)!));
    }
    expect(back.tokenizer.encode('the thin')).toEqual(loaded.tokenizer.encode('the thin'));
    trainer.release();
  });

  it('holds a Hugging Face folder: names, files, and bf16/f16 weights', async () => {
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-tied'));
    for (const dtype of ['BF16', 'F16'] as const) {
      const files = checkpointFiles({ config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype, run });
      expect([...files.keys()].sort()).toEqual(
        ['alphaalign_run.json', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].sort(),
      );
      const back = await loadCheckpoint(zipSource(zipSync(Object.fromEntries(files)), 'x.zip'));
      const original = loaded.weights.get('model.embed_tokens.weight')!;
      const narrowed = back.weights.get('model.embed_tokens.weight')!;
      for (let i = 0; i < original.length; i += 41) expect(Math.abs(narrowed[i]! - original[i]!)).toBeLessThanOrEqual(Math.abs(original[i]!) * 2 ** -7);
      expect(back.optimizer).toBeNull();
    }
  });

  it('reads a zip whose files sit in one top-level folder, and names a file that is not a zip', async () => {
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const files = checkpointFiles({ config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype: 'F32', run });
    const nested = zipSync(Object.fromEntries([...files].map(([n, b]) => [`my-model/${n}`, b])));
    const back = await loadCheckpoint(zipSource(nested, 'nested.zip'));
    expect(back.weights.size).toBe(loaded.weights.size);
    expect(() => zipSource(new Uint8Array([1, 2, 3, 4]), 'notes.txt')).toThrow(/notes\.txt is not a readable zip file/);
  });

  it('writes model.safetensors that PyTorch reads back (when torch is installed)', async () => {
    const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
    if (torch.status !== 0) {
      console.log('skipped the PyTorch read-back: /usr/bin/python3 has no torch (apt-get install -y python3-torch)');
      return;
    }
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const dir = mkdtempSync(join(tmpdir(), 'alphaalign-export-'));
    for (const dtype of ['F32', 'BF16', 'F16'] as const) {
      const files = checkpointFiles({ config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype, run });
      const path = join(dir, `model-${dtype}.safetensors`);
      writeFileSync(path, files.get('model.safetensors')!);
      const result = spawnSync('/usr/bin/python3', ['scripts/make_fixtures.py', '--check', path], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as Record<string, { shape: number[]; sum: number }>;
      for (const [name, w] of loaded.weights) {
        const sum = w.reduce((a, b) => a + b, 0);
        expect(summary[name]!.shape.reduce((a, b) => a * b, 1)).toBe(w.length);
        expect(Math.abs(summary[name]!.sum - sum)).toBeLessThan(dtype === 'F32' ? 1e-3 : 0.05 * Math.max(1, Math.abs(sum)));
      }
    }
  });
});

describe('checkpoints with a reference policy', () => {
  const moments = (weights: ReadonlyMap<string, Float32Array>) => ({ t: 1, m: weights, v: weights });

  it('keep it bit for bit: bf16 when every value is one, f32 otherwise', async () => {
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const asBf16 = new Map([...loaded.weights].map(([name, w]) => [name, new Float32Array(new Uint32Array(w.buffer.slice(0)).map((b) => b & 0xffff0000).buffer)]));
    for (const [reference, dtype] of [
      [asBf16, 'BF16'],
      [loaded.weights, 'F32'],
    ] as const) {
      const files = checkpointFiles({ config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype: 'F32', run, optimizer: moments(loaded.weights), reference });
      const header = new TextDecoder().decode(files.get('reference.safetensors')!.subarray(8, 400));
      expect(header).toContain(`"dtype":"${dtype}"`);
      const back = await loadCheckpoint(zipSource(zipSync(Object.fromEntries(files)), 'with-reference.zip'));
      for (const [name, w] of reference) expect(bits(back.reference!.get(name)!), name).toEqual(bits(w));
    }
    // Only a resume reads it, and a resume needs the optimiser state: without it, nothing is looked for.
    const files = checkpointFiles({ config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype: 'F32', run, reference: loaded.weights });
    expect((await loadCheckpoint(zipSource(zipSync(Object.fromEntries(files)), 'no-optimizer.zip'))).reference).toBeNull();
  });

  it('names a reference file that belongs to another model', async () => {
    const gqa = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const tied = await loadModel(folderSource('tests/fixtures/models/llama-tied'));
    const files = checkpointFiles({ config: gqa.config, weights: gqa.weights, rawFiles: gqa.rawFiles, storedDtypes: gqa.storedDtypes, dtype: 'F32', run, optimizer: moments(gqa.weights) });
    files.set('reference.safetensors', checkpointFiles({ config: tied.config, weights: tied.weights, rawFiles: tied.rawFiles, storedDtypes: tied.storedDtypes, dtype: 'F32', run }).get('model.safetensors')!);
    await expect(loadCheckpoint(zipSource(zipSync(Object.fromEntries(files)), 'mixed.zip'))).rejects.toThrow(/^mixed\.zip\/reference\.safetensors does not hold model\.embed_tokens\.weight as the model has it: it belongs to another model$/);
  });
});

describe('checkpoints with LoRA', () => {
  it('write a PEFT adapter beside the base and read it back with its optimiser state, or merge it', async () => {
    const { initialLoraWeights, mergeLora, DEFAULT_LORA } = await import('../../src/model/lora.ts');
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const settings = { ...DEFAULT_LORA, rank: 2, targets: ['q_proj', 'down_proj'] as const };
    const adapterWeights = initialLoraWeights(loaded.config, settings, 5);
    const optimizer = { t: 4, m: adapterWeights, v: adapterWeights };
    const files = checkpointFiles({
      config: loaded.config,
      weights: loaded.weights,
      rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes,
      dtype: 'F32',
      run: { ...run, baseModel: 'tests/fixtures/models/llama-gqa' },
      optimizer,
      adapter: { settings, weights: adapterWeights, layout: 'beside-base' },
    });
    const config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json'))) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 16, target_modules: ['q_proj', 'down_proj'], base_model_name_or_path: 'tests/fixtures/models/llama-gqa' });
    const back = await loadCheckpoint(zipSource(zipSync(Object.fromEntries(files)), 'lora.zip'));
    expect(back.adapter!.settings).toEqual({ rank: 2, alpha: 16, targets: ['q_proj', 'down_proj'], dropout: 0 });
    for (const [name, w] of adapterWeights) expect(bits(back.adapter!.weights.get(name)!)).toEqual(bits(w));
    expect(back.optimizer!.t).toBe(4);
    expect(back.weights.get('model.layers.0.self_attn.q_proj.weight')).toEqual(loaded.weights.get('model.layers.0.self_attn.q_proj.weight'));

    const mergedFiles = checkpointFiles({
      config: loaded.config,
      weights: loaded.weights,
      rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes,
      dtype: 'F32',
      run,
      optimizer,
      adapter: { settings, weights: adapterWeights, layout: 'merged' },
    });
    expect(mergedFiles.has('adapter_config.json')).toBe(false);
    expect(mergedFiles.has('optimizer.safetensors')).toBe(false);
    const merged = await loadCheckpoint(zipSource(zipSync(Object.fromEntries(mergedFiles)), 'merged.zip'));
    const expected = mergeLora(loaded.config, settings, loaded.weights, adapterWeights);
    expect(merged.weights.get('model.layers.1.mlp.down_proj.weight')).toEqual(expected.get('model.layers.1.mlp.down_proj.weight'));
    expect(merged.adapter).toBeNull();
  });
});

describe('checkpoints in the model\'s own precision', () => {
  /** The llama-gqa fixture with its weights stored as bf16 and config.json saying float32, as a base the user brings. */
  async function bf16Base() {
    const { memorySource } = await import('../../src/model/files.ts');
    const { serializeSafetensors, parseSafetensors } = await import('../../src/model/safetensors.ts');
    const f32 = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const files = new Map(f32.rawFiles);
    const { parameterSpecs } = await import('../../src/model/parameters.ts');
    const tensors = parameterSpecs(f32.config).map(({ name, shape }) => ({ name, shape, data: f32.weights.get(name)! }));
    files.set('model.safetensors', serializeSafetensors(tensors, 'BF16'));
    const config = JSON.parse(new TextDecoder().decode(f32.rawFiles.get('config.json'))) as Record<string, unknown>;
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, torch_dtype: 'float32' })));
    return { loaded: await loadModel(memorySource('bf16-base', files)), parseSafetensors };
  }

  it('keep a LoRA run\'s frozen bf16 base bf16 beside an f32 adapter, with torch_dtype saying so; alone, the adapter in PEFT\'s layout; merged, in the base\'s precision', async () => {
    const { initialLoraWeights, DEFAULT_LORA } = await import('../../src/model/lora.ts');
    const { loaded, parseSafetensors } = await bf16Base();
    expect(loaded.dtype).toBe('bf16');
    const settings = { ...DEFAULT_LORA, rank: 2 };
    const adapterWeights = initialLoraWeights(loaded.config, settings, 5);
    const contents = { config: loaded.config, weights: loaded.weights, rawFiles: loaded.rawFiles, storedDtypes: loaded.storedDtypes, dtype: 'F32' as const, run: { ...run, baseModel: 'bf16-base' }, optimizer: { t: 1, m: adapterWeights, v: adapterWeights } };
    const torchDtype = (files: Map<string, Uint8Array>) => (JSON.parse(new TextDecoder().decode(files.get('config.json'))) as { torch_dtype: string }).torch_dtype;
    const dtypes = (bytes: Uint8Array) => {
      const file = parseSafetensors(bytes, 'x');
      return new Set(file.names.map((n) => file.dtype(n)));
    };

    const beside = checkpointFiles({ ...contents, adapter: { settings, weights: adapterWeights, layout: 'beside-base' } });
    expect(dtypes(beside.get('model.safetensors')!)).toEqual(new Set(['BF16']));
    expect(dtypes(beside.get('adapter_model.safetensors')!)).toEqual(new Set(['F32']));
    expect(torchDtype(beside)).toBe('bfloat16');
    // No bigger than the base's own file: nothing widened.
    expect(beside.get('model.safetensors')!.byteLength).toBeLessThanOrEqual(1.01 * (await folderSource('tests/fixtures/models/llama-gqa').read('model.safetensors')).byteLength / 2 + 4096);
    const back = await loadCheckpoint(zipSource(zipSync(Object.fromEntries(beside)), 'beside.zip'));
    for (const [name, w] of loaded.weights) expect(bits(back.weights.get(name)!)).toEqual(bits(w));
    expect(back.optimizer!.t).toBe(1);

    const alone = checkpointFiles({ ...contents, adapter: { settings, weights: adapterWeights, layout: 'alone' } });
    expect([...alone.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'alphaalign_run.json', 'optimizer.safetensors', 'tokenizer.json', 'tokenizer_config.json']);

    const merged = checkpointFiles({ ...contents, adapter: { settings, weights: adapterWeights, layout: 'merged' } });
    expect(dtypes(merged.get('model.safetensors')!)).toEqual(new Set(['BF16']));
    expect(torchDtype(merged)).toBe('bfloat16');

    // Full fine-tuning trains every weight: f32 unless asked for 16 bits, and config.json follows.
    const { optimizer: _adapterMoments, ...fullRun } = contents;
    const full = checkpointFiles(fullRun);
    expect(dtypes(full.get('model.safetensors')!)).toEqual(new Set(['F32']));
    expect(torchDtype(full)).toBe('float32');
    expect(torchDtype(checkpointFiles({ ...fullRun, dtype: 'F16' }))).toBe('float16');
  });
});
