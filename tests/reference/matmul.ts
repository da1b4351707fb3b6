// Float64 reference for matmul: C[m,n] = alpha · Σ_k op(A)[m,k] · op(B)[k,n] (+ bias[n]), row-major.
// NN: A (M, K), B (K, N). NT: A (M, K), B (N, K). TN: A (K, M), B (K, N).
export type MatmulLayout = 'NN' | 'NT' | 'TN';

export function matmulForward(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  M: number,
  N: number,
  K: number,
  layout: MatmulLayout,
  alpha = 1,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const av = layout === 'TN' ? a[k * M + m]! : a[m * K + k]!;
        const bv = layout === 'NT' ? b[n * K + k]! : b[k * N + n]!;
        sum += av * bv;
      }
      out[m * N + n] = alpha * sum + (bias ? bias[n]! : 0);
    }
  }
  return out;
}

/** dbias[n] = Σ_m dout[m, n]: the gradient of the bias of C = op(A)·op(B) + bias. */
export function matmulBiasBackward(dout: ArrayLike<number>, M: number, N: number): Float64Array {
  const dbias = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) dbias[n] += dout[m * N + n]!;
  }
  return dbias;
}
