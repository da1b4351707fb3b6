// Float64 reference for the residual connection: out = a + b; da, db = dout.
export function residualForward(a: Float64Array, b: Float64Array, N: number) {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = a[i]! + b[i]!;
  return { out };
}

export function residualBackward(dout: Float64Array, N: number) {
  const da = new Float64Array(N);
  const db = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    da[i] = dout[i]!;
    db[i] = dout[i]!;
  }
  return { da, db };
}
