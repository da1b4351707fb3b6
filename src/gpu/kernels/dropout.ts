// Launchers for shaders/dropout.wgsl: inverted dropout. Shapes: inp, out, mask, dout, dinp (N),
// any shape of N elements.
//
// Element i is kept when u ≥ p, u = (word >> 8) · 2^−24 and word = word i % 4 of
// Philox-4x32-10(counter (i / 4, step, stream, 1), key (seed, 0)): no state buffer, so a seed, a
// step and a stream replay a mask exactly. mask = 1 / (1 − p) where kept, else 0 (saved for the
// backward); out = inp · mask. Give each dropout site of a step its own stream (e.g. the LoRA
// adapter's index): two sites with one seed, step and stream draw the same mask.
//
// LoRA on x (T, in), rank r, PEFT's lora_dropout before lora_A:
//   forward   const drop = dropoutForward(gpu, xd, mask, x, T * in, p, seed, 0, adapterIndex)
//             matmulForward(gpu, u, xd, A, null, T, r, in, { layout: 'NT' })           u = xd · Aᵀ
//   backward  matmulForward(gpu, dxd, du, A, null, T, in, r, { layout: 'NN' })         dxd = du · A
//             dropoutBackward(gpu, dx, dxd, mask, T * in, { accumulate: true })        dx += mask ⊙ dxd
//   each step drop.setStep(step) before submitting (setStep writes the uniforms through the queue,
//   so submit each step before setting the next).
import { f32, u32, type ParamField } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

/** Forward: invocations per workgroup (4 elements each); backward: invocations (1 element each). */
const WG = 64;
const WG_BACK = 256;
/** u has 24 random bits: keep when (word >> 8) ≥ ⌈p · 2^24⌉. */
const UNIFORM_STEPS = 2 ** 24;

export interface DropoutDispatch extends Dispatch {
  /** Rewrites the step counter (p, seed and stream unchanged). */
  setStep(step: number): void;
  /** Rewrites the seed (p, step and stream unchanged). */
  setSeed(seed: number): void;
}

export interface DropoutBackwardOptions {
  /** dinp += dout · mask instead of dinp =. Default false. */
  accumulate?: boolean;
}

function checkSize(what: string, t: Tensor, N: number): void {
  if (t.size < N) throw new RangeError(`dropout: ${what} ${t.label} holds ${t.size} values, needs ${N}`);
}

function checkN(N: number): void {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`dropout: N must be a positive integer, got ${N}`);
}

/** The uniforms of dropoutForward, in the order of the shader's Params. */
export function dropoutParams(N: number, p: number, seed: number, step: number, stream: number): ParamField[] {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  return [u32(N), u32(Math.ceil(p * UNIFORM_STEPS)), f32(1 / (1 - p)), u32(seed), u32(step), u32(stream)];
}

/**
 * mask = 1 / (1 − p) where element i is kept (u ≥ p), else 0; out = inp · mask. p = 0 gives
 * mask = 1 and out = inp exactly. `out` must be a buffer other than `inp`.
 */
export function dropoutForward(
  gpu: Gpu,
  out: Tensor, // (N) =
  mask: Tensor, // (N) = 0 or 1 / (1 − p)
  inp: Tensor, // (N)
  N: number,
  p: number, // drop probability, in [0, 1)
  seed: number, // u32, the Philox key
  step: number, // u32, the counter's second word: the training step
  stream = 0, // u32, the counter's third word: which dropout site of the step
): DropoutDispatch {
  checkN(N);
  checkSize('out', out, N);
  checkSize('mask', mask, N);
  checkSize('inp', inp, N);
  let current = { seed, step };
  const params = () => dropoutParams(N, p, current.seed, current.step, stream);
  const initial = params(); // checks p, seed, step and stream before anything is built
  const dispatch = gpu.dispatch(
    'dropoutForward',
    gpu.pipeline('dropout', 'dropoutForward'),
    [out, mask, inp],
    initial,
    grid1d(Math.ceil(N / 4), WG),
  );
  return {
    ...dispatch,
    setStep(next) {
      current = { ...current, step: next };
      dispatch.setParams(params());
    },
    setSeed(next) {
      current = { ...current, seed: next };
      dispatch.setParams(params());
    },
  };
}

/** dinp = dout · mask, or dinp += dout · mask with `accumulate`: the mask of the forward held fixed. */
export function dropoutBackward(
  gpu: Gpu,
  dinp: Tensor, // (N) = or += (accumulate)
  dout: Tensor, // (N)
  mask: Tensor, // (N) from dropoutForward
  N: number,
  { accumulate = false }: DropoutBackwardOptions = {},
): Dispatch {
  checkN(N);
  checkSize('dinp', dinp, N);
  checkSize('dout', dout, N);
  checkSize('mask', mask, N);
  return gpu.dispatch(
    'dropoutBackward',
    gpu.pipeline('dropout', 'dropoutBackward', { ACCUMULATE: accumulate ? 1 : 0 }),
    [dinp, dout, mask],
    dropoutParams(N, 0, 0, 0, 0),
    grid1d(N, WG_BACK),
  );
}
