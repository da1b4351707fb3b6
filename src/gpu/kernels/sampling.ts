// Launchers for shaders/sampling.wgsl. Shapes: logits (N, V); tokens (N) u32; logprob (N);
// nonFinite (N) u32; bits (N, 4) u32.
//
// The random number of row n is Philox-4x32-10 with counter (n, step, 0, 0) and key (seed, 0):
// no state buffer, so a seed and a step reproduce a draw exactly. A decode loop builds the
// dispatch once and bumps the step before each token:
//   const sampler = sampleTokens(gpu, tokens, logprob, nonFinite, logits, N, V, { temperature: 0.7, topP: 0.95, seed });
//   for (let step = 0; ...; step++) { sampler.setStep(step); gpu.run([...forward, sampler]); ... }
// (setStep writes the uniforms through the queue, so submit each step before setting the next.)
import { f32, u32, type ParamField } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

export interface SamplingOptions {
  /** z = logits / temperature; 0 = greedy argmax (ties to the lowest id). */
  temperature: number;
  /** Keep the k most probable tokens (and any tied with the k-th); 0 = off, 1 = greedy. */
  topK?: number;
  /** Then keep the fewest most probable tokens holding this much of the rest's mass; 1 = off. */
  topP?: number;
  /** u32 seed of the Philox key. */
  seed: number;
  /** u32 counter: the decode step (or any draw index); default 0. */
  step?: number;
}

export interface SamplingDispatch extends Dispatch {
  /** Rewrites the step counter (other options unchanged). */
  setStep(step: number): void;
  /** Rewrites all the options. */
  setOptions(options: SamplingOptions): void;
}

/** sqrt of the workgroup size: 256 invocations per row for long vocabularies, 64 for short ones. */
export const lanes = (V: number) => (V >= 4096 ? 16 : 8);

/** The uniforms of sampleTokens, in the order of the shader's Params. */
export function samplingParams(N: number, V: number, o: SamplingOptions): ParamField[] {
  const { temperature, topK = 0, topP = 1, seed, step = 0 } = o;
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new RangeError(`sampleTokens: temperature must be finite and ≥ 0, got ${temperature}`);
  }
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`sampleTokens: topP must be in (0, 1], got ${topP}`);
  return [u32(N), u32(V), f32(temperature === 0 ? 0 : 1 / temperature), u32(topK), f32(topP), u32(seed), u32(step)];
}

/**
 * tokens[n] = one id drawn from row n of the logits; logprob[n] its log-softmax (see the shader).
 * A row holding NaN or ±Inf is not sampled: token 0, logprob NaN, and nonFinite[n] set to the
 * step + 1 it was first seen at. Clear nonFinite before the first step whose rows you check.
 */
export function sampleTokens(
  gpu: Gpu,
  tokens: Tensor, // (N) u32 =
  logprob: Tensor, // (N) = log softmax(logits / temperature)[token] (temperature 1 when greedy at 0)
  nonFinite: Tensor, // (N) u32, set once: step + 1 of the first non-finite row
  logits: Tensor, // (N, V)
  N: number,
  V: number,
  options: SamplingOptions,
): SamplingDispatch {
  let current = { ...options };
  const dispatch = gpu.dispatch(
    'sampleTokens',
    gpu.pipeline('sampling', 'sampleTokens', { LANES: lanes(V) }),
    [tokens, logprob, logits, nonFinite],
    samplingParams(N, V, current),
    grid1d(N, 1),
  );
  return {
    ...dispatch,
    setStep(step) {
      current = { ...current, step };
      dispatch.setParams(samplingParams(N, V, current));
    },
    setOptions(o) {
      const params = samplingParams(N, V, o);
      current = { ...o };
      dispatch.setParams(params);
    },
  };
}

/** bits[n, :] = Philox-4x32-10((n, step, 0, 0), (seed, 0)): the words sampleTokens draws from. */
export function randomBits(
  gpu: Gpu,
  bits: Tensor, // (N, 4) u32 =
  N: number,
  seed: number,
  step: number,
): Dispatch {
  return gpu.dispatch(
    'randomBits',
    gpu.pipeline('sampling', 'randomBits'),
    [bits],
    samplingParams(N, 0, { temperature: 1, seed, step }),
    grid1d(N, 64),
  );
}
