// Float64 reference for causal attention with grouped-query heads. q, out: (B, T, NH, hs);
// k, v: (B, T, NKV, hs); att: (B, NH, T, T). Head h reads kv head h / (NH / NKV).
// att[b,h,t,:] = softmax_{tk ≤ t}(q[b,t,h] · k[b,tk,kvh] / √hs), zero for tk > t;
// out[b,t,h] = Σ_tk att[b,h,t,tk] · v[b,tk,kvh].
export function attentionForward(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  B: number,
  T: number,
  NH: number,
  NKV: number,
  hs: number,
) {
  const out = new Float64Array(B * T * NH * hs);
  const att = new Float64Array(B * NH * T * T);
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const kvh = Math.floor(h / (NH / NKV));
      for (let t = 0; t < T; t++) {
        const qi = ((b * T + t) * NH + h) * hs;
        const row = ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let tk = 0; tk <= t; tk++) {
          const ki = ((b * T + tk) * NKV + kvh) * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += q[qi + d]! * k[ki + d]!;
          att[row + tk] = s * scale;
          max = Math.max(max, s * scale);
        }
        let sum = 0;
        for (let tk = 0; tk <= t; tk++) {
          att[row + tk] = Math.exp(att[row + tk]! - max);
          sum += att[row + tk]!;
        }
        for (let tk = 0; tk <= t; tk++) att[row + tk] = att[row + tk]! / sum;
        for (let tk = 0; tk <= t; tk++) {
          const vi = ((b * T + tk) * NKV + kvh) * hs;
          for (let d = 0; d < hs; d++) out[qi + d] += att[row + tk]! * v[vi + d]!;
        }
      }
    }
  }
  return { out, att };
}

/** llm.c's CPU backward: through out = att·v, the full softmax Jacobian, and the scores. */
export function attentionBackward(
  dout: Float64Array,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  B: number,
  T: number,
  NH: number,
  NKV: number,
  hs: number,
) {
  const { att } = attentionForward(q, k, v, B, T, NH, NKV, hs);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const kvh = Math.floor(h / (NH / NKV));
      for (let t = 0; t < T; t++) {
        const qi = ((b * T + t) * NH + h) * hs;
        const row = ((b * NH + h) * T + t) * T;
        const datt = new Float64Array(T);
        for (let tk = 0; tk <= t; tk++) {
          const vi = ((b * T + tk) * NKV + kvh) * hs;
          for (let d = 0; d < hs; d++) {
            datt[tk] += v[vi + d]! * dout[qi + d]!;
            dv[vi + d] += att[row + tk]! * dout[qi + d]!;
          }
        }
        const dpreatt = new Float64Array(T);
        for (let i = 0; i <= t; i++) {
          for (let j = 0; j <= t; j++) {
            const jacobian = att[row + i]! * ((i === j ? 1 : 0) - att[row + j]!);
            dpreatt[j] += jacobian * datt[i]!;
          }
        }
        for (let tk = 0; tk <= t; tk++) {
          const ki = ((b * T + tk) * NKV + kvh) * hs;
          for (let d = 0; d < hs; d++) {
            dq[qi + d] += k[ki + d]! * dpreatt[tk]! * scale;
            dk[ki + d] += q[qi + d]! * dpreatt[tk]! * scale;
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
