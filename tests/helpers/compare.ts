// The one comparison used by every kernel test: |actual − expected| ≤ atol + rtol·|expected|,
// failing on NaN or Inf, and reporting the first mismatches and the worst one.
export interface Tolerance {
  atol: number;
  rtol: number;
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
  what: string,
): void {
  if (actual.length < expected.length) {
    throw new Error(`${what}: got ${actual.length} values, expected ${expected.length}`);
  }
  const bad: string[] = [];
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const allowed = atol + rtol * Math.abs(e);
    if (!Number.isFinite(a) || !(err <= allowed)) {
      if (bad.length < 5) bad.push(`[${i}] ${a} vs ${e}`);
      const excess = Number.isFinite(err) ? err / allowed : Infinity;
      if (excess > worstExcess || worst < 0) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: ${bad.join(', ')} ...; worst [${worst}] ${actual[worst]} vs ${expected[worst]} ` +
        `(${worstExcess.toFixed(1)}× the tolerance atol=${atol} rtol=${rtol})`,
    );
  }
}

/** Relative tolerance on a whole array: atol scaled by the largest |expected|. */
export function scaledTolerance(expected: ArrayLike<number>, rel: number): Tolerance {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]!));
  return { atol: rel * Math.max(max, 1e-30), rtol: rel };
}
