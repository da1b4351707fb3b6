// Reference for token sampling: the same Philox-4x32-10 words as the GPU (exact, with BigInt
// products), and the same selection rules in float64 with plain sorts and loops.

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Philox-4x32-10 of Salmon et al. (2011), as in Random123: 10 rounds, the key bumped between them. */
export function philox4x32_10(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const p0 = M0 * BigInt(c0);
    const p1 = M1 * BigInt(c2);
    const [hi0, lo0] = [Number(p0 >> 32n), Number(p0 & 0xffffffffn)];
    const [hi1, lo1] = [Number(p1 >> 32n), Number(p1 & 0xffffffffn)];
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The four words randomBits writes for row n. */
export function randomBits(N: number, seed: number, step: number): Uint32Array {
  const out = new Uint32Array(N * 4);
  for (let n = 0; n < N; n++) out.set(philox4x32_10([n, step, 0, 0], [seed, 0]), n * 4);
  return out;
}

/** The uniform in [0, 1) that sampleTokens draws for row n: the top 24 bits of the first word. */
export function uniform(seed: number, step: number, row: number): number {
  return (philox4x32_10([row, step, 0, 0], [seed, 0])[0]! >>> 8) / 16777216;
}

export interface SamplingOptions {
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  step?: number;
}

/**
 * tokens, their log-softmax at the temperature (1 when greedy at temperature 0), and `probs`
 * (N, V): the distribution each row was drawn from (one-hot for greedy rows).
 */
export function sampleTokens(logits: Float64Array, N: number, V: number, o: SamplingOptions) {
  const { temperature, topK = 0, topP = 1, seed, step = 0 } = o;
  const greedy = temperature === 0 || topK === 1;
  const T = temperature === 0 ? 1 : temperature;
  const tokens = new Uint32Array(N);
  const logprob = new Float64Array(N);
  const probs = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const z = Array.from({ length: V }, (_, v) => logits[n * V + v]! / T);
    let m = -Infinity;
    let arg = 0;
    for (let v = 0; v < V; v++) {
      if (z[v]! > m) {
        m = z[v]!;
        arg = v;
      }
    }
    const e = z.map((x) => Math.exp(x - m));
    const lse = m + Math.log(e.reduce((a, b) => a + b, 0));
    let token: number;
    if (greedy) {
      token = arg;
      probs[n * V + arg] = 1;
    } else {
      const sorted = [...z].sort((a, b) => b - a);
      let theta = -Infinity; // keep z ≥ theta
      if (topK > 0 && topK < V) theta = sorted[topK - 1]!;
      if (topP < 1) {
        let mk = 0;
        for (let v = 0; v < V; v++) if (z[v]! >= theta) mk += e[v]!;
        // the largest value t whose set {z ≥ t} (ties included) holds p of the top-k mass
        let cum = 0;
        for (let i = 0; i < sorted.length && sorted[i]! >= theta; i++) {
          cum += Math.exp(sorted[i]! - m);
          const lastOfTies = i + 1 === sorted.length || sorted[i + 1] !== sorted[i];
          if (lastOfTies && cum >= topP * mk) {
            theta = sorted[i]!;
            break;
          }
        }
      }
      let mass = 0;
      for (let v = 0; v < V; v++) if (z[v]! >= theta) mass += e[v]!;
      for (let v = 0; v < V; v++) if (z[v]! >= theta) probs[n * V + v] = e[v]! / mass;
      const r = uniform(seed, step, n) * mass;
      let acc = 0;
      token = -1;
      for (let v = 0; v < V && token < 0; v++) {
        if (z[v]! >= theta) {
          acc += e[v]!;
          if (acc > r) token = v;
        }
      }
    }
    tokens[n] = token;
    logprob[n] = z[token]! - lse;
  }
  return { tokens, logprob, probs };
}
