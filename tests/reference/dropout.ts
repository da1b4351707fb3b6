// Reference for inverted dropout: the same Philox-4x32-10 words as the GPU (sampling's reference,
// exact with BigInt products), and out = inp · mask in float64.
import { philox4x32_10 } from './sampling.ts';

/** Counter word c3 of every dropout draw (sampling draws with 0). */
export const DROPOUT_DOMAIN = 1;

/** u in [0, 1) of element i: the top 24 bits of word i % 4 of Philox((i / 4, step, stream, 1), (seed, 0)). */
export function dropoutUniform(i: number, seed: number, step: number, stream = 0): number {
  const words = philox4x32_10([Math.floor(i / 4), step, stream, DROPOUT_DOMAIN], [seed, 0]);
  return (words[i % 4]! >>> 8) / 2 ** 24;
}

/** Whether each of the N elements is kept: u ≥ p. */
export function dropoutKeep(N: number, p: number, seed: number, step: number, stream = 0): boolean[] {
  return Array.from({ length: N }, (_, i) => dropoutUniform(i, seed, step, stream) >= p);
}

/**
 * mask = 1 / (1 − p) where kept, else 0, rounded to f32 as the GPU holds it (its uniform is an
 * f32); out = inp · mask.
 */
export function dropoutForward(inp: Float64Array, N: number, p: number, seed: number, step: number, stream = 0) {
  const scale = Math.fround(1 / (1 - p));
  const keep = dropoutKeep(N, p, seed, step, stream);
  const mask = Float64Array.from(keep, (k) => (k ? scale : 0));
  return { out: dropoutApply(inp, mask), mask };
}

/** out = inp · mask for a fixed mask: the function the backward differentiates. */
export function dropoutApply(inp: Float64Array, mask: Float64Array): Float64Array {
  return Float64Array.from(mask, (m, i) => inp[i]! * m);
}

/** dinp = dout · mask. */
export function dropoutBackward(dout: Float64Array, mask: Float64Array): Float64Array {
  return Float64Array.from(mask, (m, i) => dout[i]! * m);
}
