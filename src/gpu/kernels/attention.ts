// Launchers for shaders/attention.wgsl: causal attention with grouped-query heads.
// Shapes: q, out, dout, dq (B, T, NH, hs); k, v, dk, dv (B, T, NKV, hs); att, dpreatt (B, NH, T, T).
// KV cache: kCache, vCache (B, Tmax, NKV, hs), written by kvCacheWrite and read by attentionDecode.
import { u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';
import { positioned, type PositionedDispatch } from './rope.ts';

const WG = 64;

// The shader's Params, in its field order.
function params(B: number, T: number, NH: number, NKV: number, hs: number, Tkv: number, pos: number) {
  return [u32(B), u32(T), u32(NH), u32(NKV), u32(hs), u32(Tkv), u32(pos)];
}

function checkHeads(NH: number, NKV: number, hs: number): void {
  if (NKV < 1 || NH % NKV !== 0) throw new RangeError(`attention: NH=${NH} is not a multiple of NKV=${NKV}`);
  if (!Number.isInteger(hs) || hs < 1) throw new RangeError(`attention: head size ${hs} is not a positive integer`);
}

function checkPosition(what: string, pos: number, T: number, Tmax: number): void {
  if (!Number.isInteger(pos) || pos < 0 || pos + T > Tmax) {
    throw new RangeError(`${what}: positions ${pos}..${pos + T - 1} do not fit a cache of Tmax=${Tmax}`);
  }
}

/** Training and prefill: out = softmax(q·kᵀ/√hs, causal) · v, saving the probabilities for the backward. */
export function attentionForward(
  gpu: Gpu,
  out: Tensor, // (B, T, NH, hs) =
  att: Tensor, // (B, NH, T, T) =, saved for attentionBackward; exactly 0 above the diagonal
  q: Tensor, // (B, T, NH, hs)
  k: Tensor, // (B, T, NKV, hs)
  v: Tensor, // (B, T, NKV, hs)
  B: number,
  T: number,
  NH: number,
  NKV: number,
  hs: number,
): Dispatch {
  checkHeads(NH, NKV, hs);
  return gpu.dispatch(
    'attentionForward',
    gpu.pipeline('attention', 'attentionForward'),
    [out, att, q, k, v],
    params(B, T, NH, NKV, hs, T, 0),
    grid1d(B * NH * T, WG),
  );
}

/**
 * Gradients of attentionForward; two dispatches (per query row, then per k/v element), no atomics.
 * All outputs overwrite (`=`); dpreatt is scratch (the gradient of the pre-softmax scores).
 */
export function attentionBackward(
  gpu: Gpu,
  dq: Tensor, // (B, T, NH, hs) =
  dk: Tensor, // (B, T, NKV, hs) =
  dv: Tensor, // (B, T, NKV, hs) =
  dpreatt: Tensor, // (B, NH, T, T) = scratch
  dout: Tensor, // (B, T, NH, hs)
  q: Tensor, // (B, T, NH, hs)
  k: Tensor, // (B, T, NKV, hs)
  v: Tensor, // (B, T, NKV, hs)
  att: Tensor, // (B, NH, T, T) from attentionForward
  B: number,
  T: number,
  NH: number,
  NKV: number,
  hs: number,
): Dispatch[] {
  checkHeads(NH, NKV, hs);
  const fields = params(B, T, NH, NKV, hs, T, 0);
  return [
    gpu.dispatch(
      'attentionBackward',
      gpu.pipeline('attention', 'attentionBackward'),
      [dq, dpreatt, dout, k, v, att],
      fields,
      grid1d(B * NH * T, WG),
    ),
    gpu.dispatch(
      'attentionBackwardKV',
      gpu.pipeline('attention', 'attentionBackwardKV'),
      [dk, dv, dout, q, att, dpreatt],
      fields,
      grid1d(B * T * NKV * hs, WG),
    ),
  ];
}

/**
 * cache[b, pos + t] = kvNew[b, t] for t < T: one step's (or a prompt's) k or v into the cache,
 * the same position for the whole batch. Move it with setPosition.
 */
export function kvCacheWrite(
  gpu: Gpu,
  cache: Tensor, // (B, Tmax, NKV, hs) =, rows pos..pos+T−1 only
  kvNew: Tensor, // (B, T, NKV, hs)
  B: number,
  T: number,
  NKV: number,
  hs: number,
  Tmax: number,
  pos: number,
): PositionedDispatch {
  const check = (at: number) => checkPosition('kvCacheWrite', at, T, Tmax);
  check(pos);
  const fields = (at: number) => params(B, T, 1, NKV, hs, Tmax, at);
  const dispatch = gpu.dispatch(
    'kvCacheWrite',
    gpu.pipeline('attention', 'kvCacheWrite'),
    [cache, kvNew],
    fields(pos),
    grid1d(B * T * NKV * hs, WG),
  );
  return positioned(dispatch, fields, check);
}

/**
 * Attention of T new queries at positions pos..pos+T−1 (T = 1 per generated token; T = the prompt
 * length with pos = 0 for a prefill) against cache positions 0..pos+t, which kvCacheWrite must
 * already hold (write this step's k and v first, in the same or an earlier phase), except cache
 * positions before leftPadding[b] (a left-padded row's pad columns). One invocation per (b, h, t).
 * Move it with setPosition.
 */
export function attentionDecode(
  gpu: Gpu,
  out: Tensor, // (B, T, NH, hs) =
  att: Tensor, // (B, NH, T, Tmax) = scratch: probabilities, exactly 0 past each query's position
  q: Tensor, // (B, T, NH, hs), already rotated for its positions
  kCache: Tensor, // (B, Tmax, NKV, hs)
  vCache: Tensor, // (B, Tmax, NKV, hs)
  leftPadding: Tensor, // (B) u32: pad columns before each row's first token
  B: number,
  T: number,
  NH: number,
  NKV: number,
  hs: number,
  Tmax: number,
  pos: number,
): PositionedDispatch {
  checkHeads(NH, NKV, hs);
  const check = (at: number) => checkPosition('attentionDecode', at, T, Tmax);
  check(pos);
  const fields = (at: number) => params(B, T, NH, NKV, hs, Tmax, at);
  const dispatch = gpu.dispatch(
    'attentionDecode',
    gpu.pipeline('attention', 'attentionDecode'),
    [out, att, q, kCache, vCache, leftPadding],
    fields(pos),
    grid1d(B * NH * T, WG),
  );
  return positioned(dispatch, fields, check);
}
