// The real-shape fixture models (scripts/make_fixtures.py --shaped): their config and tokenizer
// are committed, their weights (0.6 and 1.3 GB in f32) are not: both sides make them from a
// counter hash of (seed, tensor index, element), so this helper writes the very weights PyTorch
// computed expected.json from.
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { narrowToHalves } from '../../src/gpu/halfFloats.ts';
import { parseModelConfig } from '../../src/model/config.ts';
import { parameterSpecs } from '../../src/model/parameters.ts';

export interface ShapedExpected {
  seed: number;
  tokens: number[];
  columns: number[];
  /** (tokens, columns) PyTorch's float64 logits at those columns. */
  logits: number[][];
  /** Each row's max |logit| over the whole vocabulary. */
  max_abs: number[];
}

/** make_fixtures.py's shaped_value of its hashed_uniform: n f32 values, the same bits. */
export function hashedWeights(seed: number, index: number, n: number, value: (u: number) => number): Float32Array {
  const base = (Math.imul(seed, 0x85ebca77) ^ Math.imul(index, 0xc2b2ae3d)) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + base) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 12)) >>> 0;
    h = Math.imul(h, 0x297a2d39) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    out[i] = value(h / 2 ** 31 - 1);
  }
  return out;
}

/** make_fixtures.py's shaped_value, by the kind of parameter the name says. */
function valueOf(name: string): (u: number) => number {
  if (name.endsWith('norm.weight')) return (u) => 1 + 0.1 * u;
  if (name.endsWith('.bias') || name.includes('embed_tokens') || name.startsWith('lm_head')) return (u) => 0.1 * u;
  return (u) => 0.05 * u;
}

/**
 * Writes tests/fixtures/models/<name> with its weights into `dir`; returns what PyTorch expects (of
 * the f32 weights). BF16 stores the same weights rounded to bf16, as the Hub's checkpoints are,
 * config.json's torch_dtype saying so.
 */
export function writeShapedModel(name: string, dir: string, dtype: 'F32' | 'BF16' = 'F32'): ShapedExpected {
  const fixture = `tests/fixtures/models/${name}`;
  mkdirSync(dir, { recursive: true });
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(fixture, file), join(dir, file));
  const configJson = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (dtype === 'F32') copyFileSync(join(fixture, 'config.json'), join(dir, 'config.json'));
  else writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...configJson, torch_dtype: 'bfloat16' }, null, 2));
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as ShapedExpected;
  const config = parseModelConfig(configJson, name);
  const bytesPerValue = dtype === 'BF16' ? 2 : 4;
  // One tensor at a time, appended to the file: the 1.3 GB never sit in memory at once.
  // The safetensors layout: an 8-byte header length, the JSON header (padded to 8), the data.
  const specs = parameterSpecs(config);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const { name: param, shape } of specs) {
    const bytes = shape.reduce((a, b) => a * b, 1) * bytesPerValue;
    header[param] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  writeSync(fd, length);
  writeSync(fd, new TextEncoder().encode(json));
  specs.forEach(({ name: param, shape }, index) => {
    const data = hashedWeights(expected.seed, index, shape.reduce((a, b) => a * b, 1), valueOf(param));
    writeSync(fd, dtype === 'BF16' ? new Uint8Array(narrowToHalves(data, 'bf16').buffer) : new Uint8Array(data.buffer));
  });
  closeSync(fd);
  return expected;
}
