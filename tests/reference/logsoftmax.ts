// Float64 reference for the log-softmax family, with z = logits / T and lse[n] = log Σ_v exp(z[n, v]).
// The backward functions return the gradient w.r.t. the (unscaled) logits, as written (=).

function rowLse(z: Float64Array, base: number, V: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, z[base + v]!);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(z[base + v]! - m);
  return m + Math.log(s);
}

function scaled(logits: Float64Array, T: number): Float64Array {
  return logits.map((x) => x / T);
}

export function logprobForward(logits: Float64Array, targets: ArrayLike<number>, N: number, V: number, T = 1) {
  const z = scaled(logits, T);
  const logprob = new Float64Array(N);
  const lse = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    lse[n] = rowLse(z, n * V, V);
    logprob[n] = z[n * V + targets[n]!]! - lse[n]!;
  }
  return { logprob, lse };
}

export function crossEntropyForward(logits: Float64Array, targets: ArrayLike<number>, N: number, V: number, T = 1) {
  const { logprob, lse } = logprobForward(logits, targets, N, V, T);
  return { loss: logprob.map((x) => -x), lse };
}

export function entropyForward(logits: Float64Array, N: number, V: number, T = 1) {
  const z = scaled(logits, T);
  const entropy = new Float64Array(N);
  const lse = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    lse[n] = rowLse(z, n * V, V);
    let h = 0;
    for (let v = 0; v < V; v++) {
      const logp = z[n * V + v]! - lse[n]!;
      h -= Math.exp(logp) * logp;
    }
    entropy[n] = h;
  }
  return { entropy, lse };
}

export function logprobBackward(
  dlogprob: Float64Array,
  logits: Float64Array,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  T = 1,
) {
  const z = scaled(logits, T);
  const dlogits = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const lse = rowLse(z, n * V, V);
    for (let v = 0; v < V; v++) {
      const p = Math.exp(z[n * V + v]! - lse);
      dlogits[n * V + v] = (dlogprob[n]! * ((v === targets[n] ? 1 : 0) - p)) / T;
    }
  }
  return dlogits;
}

export function crossEntropyBackward(
  dloss: Float64Array,
  logits: Float64Array,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  T = 1,
) {
  return logprobBackward(dloss.map((x) => -x), logits, targets, N, V, T);
}

export function entropyBackward(dentropy: Float64Array, logits: Float64Array, N: number, V: number, T = 1) {
  const z = scaled(logits, T);
  const { entropy } = entropyForward(logits, N, V, T);
  const dlogits = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const lse = rowLse(z, n * V, V);
    for (let v = 0; v < V; v++) {
      const logp = z[n * V + v]! - lse;
      dlogits[n * V + v] = (dentropy[n]! * -Math.exp(logp) * (logp + entropy[n]!)) / T;
    }
  }
  return dlogits;
}
