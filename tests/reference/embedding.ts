// Float64 reference for the token embedding: out[n, c] = wte[tokens[n], c].
export function embeddingForward(tokens: ArrayLike<number>, wte: Float64Array, N: number, C: number) {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) out[n * C + c] = wte[tokens[n]! * C + c]!;
  }
  return { out };
}

export function embeddingBackward(dout: Float64Array, tokens: ArrayLike<number>, N: number, C: number, V: number) {
  const dwte = new Float64Array(V * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) dwte[tokens[n]! * C + c] += dout[n * C + c]!;
  }
  return { dwte };
}
