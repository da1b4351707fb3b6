// Float64 reference for RMSNorm: out[n,c] = inp[n,c] · rstd[n] · weight[c].
export function rmsnormForward(inp: Float64Array, weight: Float64Array, N: number, C: number, eps: number) {
  const out = new Float64Array(N * C);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[n * C + c]! ** 2;
    rstd[n] = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[n * C + c] = inp[n * C + c]! * rstd[n]! * weight[c]!;
  }
  return { out, rstd };
}

export function rmsnormBackward(dout: Float64Array, inp: Float64Array, weight: Float64Array, N: number, C: number, eps: number) {
  const { rstd } = rmsnormForward(inp, weight, N, C, eps);
  const dinp = new Float64Array(N * C);
  const dweight = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const s = rstd[n]!;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += weight[c]! * dout[n * C + c]! * inp[n * C + c]!;
    for (let c = 0; c < C; c++) {
      const i = n * C + c;
      dinp[i] = s * weight[c]! * dout[i]! - (inp[i]! * s ** 3 * dot) / C;
      dweight[c] += dout[i]! * inp[i]! * s;
    }
  }
  return { dinp, dweight };
}
