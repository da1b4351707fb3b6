// f16 and bf16 bit patterns and f32 values: checkpoints store weights so, and a frozen base stays
// so on the GPU (Tensor's 'f16' / 'bf16', packed two per u32). Narrowing rounds to nearest even;
// widening is exact.

/** Every f32 value narrowed to a 16-bit pattern of `dtype`. */
export function narrowToHalves(data: Float32Array, dtype: 'f16' | 'bf16'): Uint16Array {
  const halves = new Uint16Array(data.length);
  if (dtype === 'bf16') {
    const bits = new Uint32Array(Float32Array.from(data).buffer);
    for (let i = 0; i < data.length; i++) halves[i] = f32BitsToBf16(bits[i]!);
  } else {
    for (let i = 0; i < data.length; i++) halves[i] = f32ToF16(data[i]!);
  }
  return halves;
}

/** The f32 values of 16-bit patterns of `dtype`. */
export function widenHalves(halves: Uint16Array, dtype: 'f16' | 'bf16'): Float32Array {
  const out = new Float32Array(halves.length);
  if (dtype === 'bf16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  } else {
    for (let i = 0; i < halves.length; i++) out[i] = f16ToF32(halves[i]!);
  }
  return out;
}

function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff; // keep NaN a NaN
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function f32ToF16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mantissa |= 0x800000; // subnormal: shift in the implicit bit, round to nearest even
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rounded = (mantissa + half - 1 + ((mantissa >>> shift) & 1)) >>> shift;
    return sign | rounded;
  }
  const rounded = mantissa + 0xfff + ((mantissa >>> 13) & 1);
  if (rounded & 0x800000) {
    e += 1;
    if (e >= 31) return sign | 0x7c00;
    return sign | (e << 10);
  }
  return sign | (e << 10) | (rounded >>> 13);
}
