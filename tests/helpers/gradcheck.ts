// Central finite differences of a float64 function, the oracle for every backward kernel:
// ∂L/∂x[i] ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h, with L = Σ dout · forward(x).
export function numericalGradient(loss: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const grad = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i]! + h;
    const up = loss(probe);
    probe[i] = x[i]! - h;
    const down = loss(probe);
    probe[i] = x[i]!;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/** Σ_i dout[i] · out[i]: the scalar whose gradient w.r.t. out is dout. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
