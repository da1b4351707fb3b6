// Seeded random test data, so a failing case can be rerun exactly.
import { seededRandom } from '../../src/util/random.ts';

/** `n` standard normal values times `scale`, rounded to f32 so GPU and reference see the same input. */
export function randn(n: number, seed: number, scale = 1): Float64Array {
  const next = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    out[i] = Math.fround(scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

export function randInts(n: number, max: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(next() * max));
}
