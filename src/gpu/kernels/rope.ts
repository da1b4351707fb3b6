// Launchers for shaders/rope.wgsl. Shapes: inp, out, dout, dinp (B, T, NH, hs); freqs (Tmax, hs/2, 2).
import { u32, type ParamField } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

const WG = 64;

/** A dispatch whose uniforms hold a sequence position that decoding advances step by step. */
export interface PositionedDispatch extends Dispatch {
  /**
   * Rewrites the uniforms for position `pos` (a queue write: it applies to every phase submitted
   * afterwards, so one decode step per `gpu.run`).
   */
  setPosition(pos: number): void;
}

/** Wraps `dispatch` with `setPosition`, which checks `pos` and rewrites the uniforms from `params(pos)`. */
export function positioned(
  dispatch: Dispatch,
  params: (pos: number) => readonly ParamField[],
  check: (pos: number) => void,
): PositionedDispatch {
  return {
    ...dispatch,
    setPosition(pos: number) {
      check(pos);
      dispatch.setParams(params(pos));
    },
  };
}

/**
 * A rotary scaling of Hugging Face's `rope_scaling` / `rope_parameters` (its field names in the
 * comments). Both only change the inverse frequencies; neither scales the attention (HF's
 * attention_factor stays 1 for them).
 */
export type RopeScaling =
  /** Every frequency divided by `factor` (position interpolation). */
  | { type: 'linear'; factor: number }
  /**
   * Llama 3.1's: wavelengths longer than originalMaxPositions / lowFreqFactor are divided by
   * `factor`, those shorter than originalMaxPositions / highFreqFactor kept, and those between
   * blended smoothly.
   */
  | {
      type: 'llama3';
      factor: number; // factor
      lowFreqFactor: number; // low_freq_factor
      highFreqFactor: number; // high_freq_factor
      originalMaxPositions: number; // original_max_position_embeddings
    };

/**
 * inv_freq[i] = theta^(-2i/hs), i < hs/2, as Hugging Face's Llama / Qwen compute it, then scaled
 * as transformers' modeling_rope_utils does for `linear` and `llama3`; in float64.
 */
export function ropeInvFreq(hs: number, theta: number, scaling: RopeScaling | null = null): Float64Array {
  const invFreq = Float64Array.from({ length: hs / 2 }, (_, i) => theta ** ((-2 * i) / hs));
  if (scaling?.type === 'linear') return invFreq.map((f) => f / scaling.factor);
  if (scaling?.type === 'llama3') {
    const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: context } = scaling;
    return invFreq.map((f) => {
      const wavelength = (2 * Math.PI) / f;
      if (wavelength < context / high) return f; // high frequencies: unchanged
      if (wavelength > context / low) return f / factor; // low frequencies: interpolated
      const smooth = (context / wavelength - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  return invFreq;
}

/**
 * The (Tmax, hs/2, 2) table of (cos, sin)(pos · invFreq[i]) for positions 0..Tmax−1, computed in
 * float64; upload it once per model as the `freqs` tensor. A scaled RoPE only needs its own
 * `invFreq` (ropeInvFreq with a scaling).
 */
export function ropeTable(Tmax: number, hs: number, theta: number, invFreq = ropeInvFreq(hs, theta)): Float32Array {
  if (hs % 2 !== 0) throw new RangeError(`rope: head size ${hs} must be even`);
  const half = hs / 2;
  const table = new Float32Array(Tmax * half * 2);
  for (let pos = 0; pos < Tmax; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * invFreq[i]!;
      table[(pos * half + i) * 2] = Math.cos(angle);
      table[(pos * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return table;
}

function rope(
  entry: 'ropeForward' | 'ropeBackward',
  gpu: Gpu,
  out: Tensor,
  inp: Tensor,
  freqs: Tensor,
  leftPadding: Tensor,
  B: number,
  T: number,
  NH: number,
  hs: number,
  positionOffset: number,
): PositionedDispatch {
  if (hs % 2 !== 0) throw new RangeError(`rope: head size ${hs} must be even`);
  if (out.buffer === inp.buffer) throw new RangeError('rope: out and inp must be different buffers');
  const check = (pos: number) => {
    if ((pos + T) * hs > freqs.size) {
      throw new RangeError(`rope: positions up to ${pos + T - 1} overflow the table ${freqs.label} (${freqs.size / hs} positions)`);
    }
  };
  check(positionOffset);
  const params = (pos: number) => [u32(B), u32(T), u32(NH), u32(hs), u32(pos)];
  const dispatch = gpu.dispatch(
    entry,
    gpu.pipeline('rope', entry),
    [out, inp, freqs, leftPadding],
    params(positionOffset),
    grid1d((B * T * NH * hs) / 2, WG),
  );
  return positioned(dispatch, params, check);
}

/** out = RoPE(inp) at positions positionOffset + t − leftPadding[b] (out-of-place). */
export function ropeForward(
  gpu: Gpu,
  out: Tensor, // (B, T, NH, hs) =
  inp: Tensor, // (B, T, NH, hs)
  freqs: Tensor, // (Tmax, hs/2, 2) from ropeTable
  leftPadding: Tensor, // (B) u32: pad columns before each row's first token
  B: number,
  T: number,
  NH: number,
  hs: number,
  positionOffset = 0,
): PositionedDispatch {
  return rope('ropeForward', gpu, out, inp, freqs, leftPadding, B, T, NH, hs, positionOffset);
}

/** dinp = ∂L/∂inp given dout = ∂L/∂out: the rotation by −angle. Overwrites (`=`), no accumulation. */
export function ropeBackward(
  gpu: Gpu,
  dinp: Tensor, // (B, T, NH, hs) =
  dout: Tensor, // (B, T, NH, hs)
  freqs: Tensor, // (Tmax, hs/2, 2) from ropeTable
  leftPadding: Tensor, // (B) u32, as in ropeForward
  B: number,
  T: number,
  NH: number,
  hs: number,
  positionOffset = 0,
): PositionedDispatch {
  return rope('ropeBackward', gpu, dinp, dout, freqs, leftPadding, B, T, NH, hs, positionOffset);
}
