// Launchers for shaders/globalnorm.wgsl. Shapes: each grad (N) flat; partials
// (globalNormPartialCount(grads)); norm, clip (1).
//
// Once per set of gradient tensors:
//   const partials = gpu.tensor([globalNormPartialCount(grads)], 'norm partials');
//   const norm = gpu.tensor([1], 'grad norm'), clip = gpu.tensor([1], 'clip');
//   const normDispatches = globalNorm(gpu, norm, clip, partials, grads, 1.0);
// Each step: gpu.run([...backward, ...normDispatches, ...adamw updates reading clip]).
import { f32, u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

/** Elements summed by one workgroup of globalNormPartial (WG 256 × 16 per invocation). */
export const GLOBAL_NORM_CHUNK = 4096;

/** Partial sums one tensor of `size` elements writes. */
export function globalNormPartialsOf(size: number): number {
  return Math.ceil(size / GLOBAL_NORM_CHUNK);
}

/** The length of the partials tensor for these gradients. */
export function globalNormPartialCount(grads: readonly Tensor[]): number {
  return grads.reduce((sum, g) => sum + globalNormPartialsOf(g.size), 0);
}

/** partials[offset .. offset + ceil(N / 4096)) = sums of squares of grad's 4096-element chunks. */
export function globalNormPartial(
  gpu: Gpu,
  partials: Tensor, // (P) = the slice [offset, offset + ceil(N / 4096))
  grad: Tensor, // (N)
  N: number,
  offset: number,
): Dispatch {
  if (offset + globalNormPartialsOf(N) > partials.size) {
    throw new RangeError(`${grad.label}: partials [${offset}, ${offset + globalNormPartialsOf(N)}) overflow ${partials.size}`);
  }
  return gpu.dispatch(
    'globalNormPartial',
    gpu.pipeline('globalnorm', 'globalNormPartial'),
    [partials, grad],
    [u32(N), u32(offset), f32(0)],
    grid1d(N, GLOBAL_NORM_CHUNK),
  );
}

/**
 * norm = sqrt(Σ partials[0 .. count)), clip = min(1, maxNorm / (norm + 1e-6)); for a non-finite
 * sum, norm = NaN or +Inf and clip = NaN (adamwUpdate then skips the step).
 * To change maxNorm later: setParams([u32(count), u32(0), f32(maxNorm)]).
 */
export function globalNormFinalize(
  gpu: Gpu,
  norm: Tensor, // (1) =
  clip: Tensor, // (1) =
  partials: Tensor, // (P)
  count: number,
  maxNorm: number,
): Dispatch {
  return gpu.dispatch(
    'globalNormFinalize',
    gpu.pipeline('globalnorm', 'globalNormFinalize'),
    [norm, clip, partials],
    [u32(count), u32(0), f32(maxNorm)],
    [1],
  );
}

/** The whole computation for a list of gradients: one partial dispatch per tensor, then the finalize. */
export function globalNorm(
  gpu: Gpu,
  norm: Tensor, // (1) =
  clip: Tensor, // (1) =
  partials: Tensor, // (globalNormPartialCount(grads)) = scratch
  grads: readonly Tensor[], // each (N) flat
  maxNorm: number,
): Dispatch[] {
  const dispatches: Dispatch[] = [];
  let offset = 0;
  for (const grad of grads) {
    if (grad.size === 0) continue;
    dispatches.push(globalNormPartial(gpu, partials, grad, grad.size, offset));
    offset += globalNormPartialsOf(grad.size);
  }
  if (offset === 0) throw new RangeError('globalNorm of no gradient elements');
  dispatches.push(globalNormFinalize(gpu, norm, clip, partials, offset, maxNorm));
  return dispatches;
}
