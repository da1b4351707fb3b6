// Float64 reference for RoPE (Hugging Face rotate_half): within a head, the pair (i, i + hs/2)
// turns by pos · theta^(-2i/hs), pos = max(positionOffset + t − leftPadding[b], 0). x: (B, T, NH, hs).
function rotate(x: Float64Array, B: number, T: number, NH: number, hs: number, theta: number, positionOffset: number, sign: number, leftPadding: readonly number[]) {
  const out = new Float64Array(B * T * NH * hs);
  const half = hs / 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const base = ((b * T + t) * NH + h) * hs;
        for (let i = 0; i < half; i++) {
          const pos = Math.max(positionOffset + t - (leftPadding[b] ?? 0), 0);
          const angle = sign * pos * Math.pow(theta, (-2 * i) / hs);
          const x0 = x[base + i]!;
          const x1 = x[base + i + half]!;
          out[base + i] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
          out[base + i + half] = x1 * Math.cos(angle) + x0 * Math.sin(angle);
        }
      }
    }
  }
  return out;
}

export function ropeForward(inp: Float64Array, B: number, T: number, NH: number, hs: number, theta: number, positionOffset: number, leftPadding: readonly number[] = []) {
  return rotate(inp, B, T, NH, hs, theta, positionOffset, 1, leftPadding);
}

/** The transpose of the rotation: the turn by −angle. */
export function ropeBackward(dout: Float64Array, B: number, T: number, NH: number, hs: number, theta: number, positionOffset: number, leftPadding: readonly number[] = []) {
  return rotate(dout, B, T, NH, hs, theta, positionOffset, -1, leftPadding);
}
