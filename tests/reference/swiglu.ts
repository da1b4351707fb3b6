// Float64 reference for SwiGLU: out = silu(gate) · up, silu(x) = x / (1 + e^−x).
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function swigluForward(gate: Float64Array, up: Float64Array, N: number, H: number) {
  const out = new Float64Array(N * H);
  for (let i = 0; i < N * H; i++) out[i] = gate[i]! * sigmoid(gate[i]!) * up[i]!;
  return { out };
}

export function swigluBackward(dout: Float64Array, gate: Float64Array, up: Float64Array, N: number, H: number) {
  const dgate = new Float64Array(N * H);
  const dup = new Float64Array(N * H);
  for (let i = 0; i < N * H; i++) {
    const x = gate[i]!;
    const s = sigmoid(x);
    dgate[i] = dout[i]! * up[i]! * (s + x * s * (1 - s));
    dup[i] = dout[i]! * x * s;
  }
  return { dgate, dup };
}
