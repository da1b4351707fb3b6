import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/model/files.ts';
import { loadModel } from '../../src/model/loader.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { parameterSpecs } from '../../src/model/parameters.ts';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.ts';

const FIXTURES = 'tests/fixtures/models';

function filesOf(model: string): Map<string, Uint8Array> {
  const dir = `${FIXTURES}/${model}`;
  const files = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(files.map(({ name }) => [name, new Uint8Array(readFileSync(`${dir}/${name}`))]));
}

describe('loadModel', () => {
  it.each(['llama-gqa', 'llama-tied', 'qwen2-bias'])('loads the %s fixture folder with every tensor', async (name) => {
    const model = await loadModel(folderSource(`${FIXTURES}/${name}`));
    const specs = parameterSpecs(model.config);
    expect([...model.weights.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    const file = parseSafetensors(readFileSync(`${FIXTURES}/${name}/model.safetensors`), name);
    for (const spec of specs) expect(model.weights.get(spec.name)).toEqual(file.read(spec.name));
    expect(model.rawFiles.has('tokenizer_config.json')).toBe(true);
  });

  it('loads a model split into shards through model.safetensors.index.json', async () => {
    const files = filesOf('llama-gqa');
    const whole = parseSafetensors(files.get('model.safetensors')!, 'whole');
    files.delete('model.safetensors');
    const half = Math.ceil(whole.names.length / 2);
    const shards = [whole.names.slice(0, half), whole.names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((names, i) => {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      files.set(shard, serializeSafetensors(names.map((n) => ({ name: n, shape: whole.shape(n), data: whole.read(n) })), 'BF16'));
      for (const n of names) weightMap[n] = shard;
    });
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: weightMap })));
    const model = await loadModel(memorySource('sharded', files));
    const embed = model.weights.get('model.embed_tokens.weight')!;
    const original = whole.read('model.embed_tokens.weight');
    for (let i = 0; i < embed.length; i += 97) expect(embed[i]).toBeCloseTo(original[i]!, 2); // bf16 on disk
  });

  it('names the missing shard', async () => {
    const files = filesOf('llama-gqa');
    files.delete('model.safetensors');
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ weight_map: { 'model.norm.weight': 'gone.safetensors' } })));
    await expect(loadModel(memorySource('m', files))).rejects.toThrow('m/model.safetensors.index.json names the shard gone.safetensors, which is missing from m');
  });

  it('names a truncated weights file', async () => {
    const files = filesOf('llama-gqa');
    const bytes = files.get('model.safetensors')!;
    files.set('model.safetensors', bytes.subarray(0, bytes.length - 100));
    await expect(loadModel(memorySource('m', files))).rejects.toThrow(/m\/model\.safetensors: tensor .* spans bytes/);
  });

  it('names a tensor whose shape does not fit the config', async () => {
    const files = filesOf('llama-gqa');
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, intermediate_size: 100 })));
    await expect(loadModel(memorySource('m', files))).rejects.toThrow(
      /m\/model\.safetensors: model\.layers\.0\.mlp\.gate_proj\.weight has shape \[96, 64\] but config\.json implies \[100, 64\]/,
    );
  });

  it('refuses a tokenizer with more tokens than the embedding has rows', async () => {
    const files = filesOf('llama-gqa');
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, vocab_size: 200 })));
    await expect(loadModel(memorySource('m', files))).rejects.toThrow(
      /m\/tokenizer\.json has token ids up to 299 but the embedding has 200 rows .* does not belong to this model/,
    );
  });

  it('refuses an unsupported architecture and a folder without weights', async () => {
    const files = filesOf('llama-gqa');
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, architectures: ['MistralForCausalLM'] })));
    await expect(loadModel(memorySource('m', files))).rejects.toThrow(/m\/config\.json: architecture "MistralForCausalLM" is not supported/);
    const noWeights = filesOf('llama-gqa');
    noWeights.delete('model.safetensors');
    await expect(loadModel(memorySource('m', noWeights))).rejects.toThrow('m has neither model.safetensors nor model.safetensors.index.json');
  });
});

describe('initialWeights', () => {
  it('gives every parameter its shape: norms 1, biases 0, projections small and seeded', async () => {
    const { initialWeights } = await import('../../src/model/initialize.ts');
    const { config } = await loadModel(folderSource(`${FIXTURES}/qwen2-bias`));
    const a = initialWeights(config, 1);
    expect([...a.keys()]).toEqual(parameterSpecs(config).map((s) => s.name));
    expect([...a.get('model.norm.weight')!].every((v) => v === 1)).toBe(true);
    expect([...a.get('model.layers.0.self_attn.q_proj.bias')!].every((v) => v === 0)).toBe(true);
    const q = a.get('model.layers.0.self_attn.q_proj.weight')!;
    const std = Math.sqrt(q.reduce((s, v) => s + v * v, 0) / q.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    expect(initialWeights(config, 1).get('model.embed_tokens.weight')).toEqual(a.get('model.embed_tokens.weight'));
  });
});
