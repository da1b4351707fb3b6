import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16, parseSafetensors, serializeSafetensors, SafetensorsError } from '../../src/model/safetensors.ts';
import { randn } from '../helpers/random.ts';

const tensors = [
  { name: 'model.embed_tokens.weight', shape: [3, 5], data: Float32Array.from(randn(15, 1)) },
  { name: 'model.norm.weight', shape: [5], data: Float32Array.from(randn(5, 2)) },
  { name: 'odd', shape: [1, 1, 3], data: new Float32Array([1e-8, -65504, 3.14159]) },
];

describe('safetensors', () => {
  it('round-trips f32 bit for bit, with names, shapes and metadata', () => {
    const file = parseSafetensors(serializeSafetensors(tensors, 'F32', { format: 'pt', step: '7' }), 'm.safetensors');
    expect(file.names).toEqual(tensors.map((t) => t.name));
    expect(file.metadata).toEqual({ format: 'pt', step: '7' });
    for (const t of tensors) {
      expect(file.shape(t.name)).toEqual(t.shape);
      expect(new Uint32Array(file.read(t.name).buffer)).toEqual(new Uint32Array(t.data.buffer));
    }
  });

  it('starts the data section 8-byte aligned, as the reference implementation writes it', () => {
    const bytes = serializeSafetensors(tensors, 'F16');
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
  });

  it('narrows to bf16 and f16 with round-to-nearest-even', () => {
    const values = new Float32Array([1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -9, 65504, 1e-7, 0.1]);
    const bf = parseSafetensors(serializeSafetensors([{ name: 'x', shape: [7], data: values }], 'BF16'), 'x').read('x');
    // 1 + 2^-8 is a tie in bf16 (7 fraction bits) and rounds to even (1); 1 + 3·2^-9 rounds up.
    expect([...bf.slice(0, 4)]).toEqual([1, -2.5, 1, 1 + 2 ** -7]);
    expect(bf[6]).toBeCloseTo(0.1, 2);
    const h = parseSafetensors(serializeSafetensors([{ name: 'x', shape: [7], data: values }], 'F16'), 'x').read('x');
    expect([...h.slice(0, 5)]).toEqual([1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -9, 65504]); // exact in f16
    expect(h[5]).toBe(2 * 2 ** -24); // 1e-7 is 1.68 subnormal steps of 2^-24: rounds to 2
    expect(h[6]).toBeCloseTo(0.1, 3);
  });

  it('converts f16 special values', () => {
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(f16ToF32(0x7e00)).toBeNaN();
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(f16ToF32(f32ToF16(2 ** -24))).toBe(2 ** -24); // smallest subnormal
    for (let h = 0; h < 0x7c00; h += 37) expect(f32ToF16(f16ToF32(h))).toBe(h);
  });

  it('names the file and the problem for a truncated, corrupt or unsupported file', () => {
    const good = serializeSafetensors(tensors);
    expect(() => parseSafetensors(good.subarray(0, 4), 'a.safetensors')).toThrow(/a\.safetensors: 4 bytes is too short/);
    expect(() => parseSafetensors(good.subarray(0, good.byteLength - 3), 'b.safetensors')).toThrow(
      /b\.safetensors: tensor "odd" spans bytes .*\(truncated\?\)/,
    );
    const corrupt = good.slice();
    corrupt[9] = 0x7b; // '{' inside the JSON header
    corrupt[10] = 0x7b;
    expect(() => parseSafetensors(corrupt, 'c.safetensors')).toThrow(/c\.safetensors: the header is not valid JSON/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => parseSafetensors(huge, 'd.safetensors')).toThrow(SafetensorsError);
    const i64 = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }));
    const file = new Uint8Array(8 + i64.length + 8);
    new DataView(file.buffer).setBigUint64(0, BigInt(i64.length), true);
    file.set(i64, 8);
    expect(() => parseSafetensors(file, 'e.safetensors')).toThrow(/tensor "x" has dtype I64; the lab reads F32, F16 and BF16/);
    expect(() => parseSafetensors(good, 'f.safetensors').read('missing')).toThrow(/has no tensor "missing"/);
  });
});

describe('safetensors written by PyTorch', () => {
  it('reads the fixture generator’s file from a Node Buffer (an unaligned view)', async () => {
    const { readFileSync } = await import('node:fs');
    const file = parseSafetensors(readFileSync('tests/fixtures/models/llama-gqa/expected.safetensors'), 'expected.safetensors');
    expect(file.shape('logits')).toEqual([2, 9, 300]);
    const expected = JSON.parse(readFileSync('tests/fixtures/models/llama-gqa/expected.json', 'utf8')) as { loss: number };
    expect(file.read('loss')[0]).toBeCloseTo(expected.loss, 5);
  });
});
