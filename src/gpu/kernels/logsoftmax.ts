// Launchers for shaders/logsoftmax.wgsl. Shapes: logits, dlogits (N, V); targets (N) u32 token ids
// (< V); lse, logprob, loss, entropy and their gradients (N).
//
// Every op sees z = logits / temperature (temperature 1 for training; RL computes log-probs and
// the entropy at its sampling temperature). Pass the backward the temperature of its forward: it
// rebuilds p = exp(z − lse) from the saved lse, and its gradient is w.r.t. the unscaled logits.
//
// The backward launchers accumulate (dlogits +=) by default, so that, e.g., an RL loss
// Σ a·logprob + β·entropy adds both terms into one dlogits. With `accumulate: false` the first
// one writes (=) instead, which saves zeroing dlogits before it:
//   logprobBackward(gpu, dlogits, dlogprob, ..., { accumulate: false }), then
//   entropyBackward(gpu, dlogits, dentropy, ...)   // += onto it
import { f32, u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

export interface LogsoftmaxOptions {
  /** z = logits / temperature; > 0, default 1. */
  temperature?: number;
}

export interface LogsoftmaxBackwardOptions extends LogsoftmaxOptions {
  /** dlogits += (true, default) or dlogits = (false). */
  accumulate?: boolean;
}

/** The forward entry points map one row to one invocation, 64 to a workgroup. */
const ROWS_PER_WORKGROUP = 64;

function params(N: number, V: number, temperature = 1) {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`logsoftmax: temperature must be finite and > 0, got ${temperature}`);
  }
  return [u32(N), u32(V), f32(1 / temperature)];
}

function forward(gpu: Gpu, entry: string, buffers: Tensor[], N: number, V: number, o: LogsoftmaxOptions): Dispatch {
  return gpu.dispatch(entry, gpu.pipeline('logsoftmax', entry), buffers, params(N, V, o.temperature), grid1d(N, ROWS_PER_WORKGROUP));
}

function backward(gpu: Gpu, entry: string, buffers: Tensor[], N: number, V: number, o: LogsoftmaxBackwardOptions): Dispatch {
  const accumulate = o.accumulate ?? true;
  return gpu.dispatch(
    accumulate ? entry : `${entry} (=)`,
    gpu.pipeline('logsoftmax', entry, { ACCUMULATE: accumulate ? 1 : 0 }),
    buffers,
    params(N, V, o.temperature),
    grid1d(N, 1),
  );
}

/** logprob[n] = z[n, targets[n]] − lse[n], the log-probability of the target token. */
export function logprobForward(
  gpu: Gpu,
  logprob: Tensor, // (N) =
  lse: Tensor, // (N) =
  logits: Tensor, // (N, V)
  targets: Tensor, // (N) u32
  N: number,
  V: number,
  options: LogsoftmaxOptions = {},
): Dispatch {
  return forward(gpu, 'logprobForward', [logprob, lse, logits, targets], N, V, options);
}

/** dlogits[n, :] += dlogprob[n] · (onehot(targets[n]) − p[n, :]) / temperature. */
export function logprobBackward(
  gpu: Gpu,
  dlogits: Tensor, // (N, V) += (= with accumulate: false)
  dlogprob: Tensor, // (N)
  logits: Tensor, // (N, V)
  targets: Tensor, // (N) u32
  lse: Tensor, // (N) from logprobForward
  N: number,
  V: number,
  options: LogsoftmaxBackwardOptions = {},
): Dispatch {
  return backward(gpu, 'logprobBackward', [dlogits, dlogprob, logits, targets, lse], N, V, options);
}

/** loss[n] = lse[n] − z[n, targets[n]] = −logprob, per row (the caller averages with its mask). */
export function crossEntropyForward(
  gpu: Gpu,
  loss: Tensor, // (N) =
  lse: Tensor, // (N) =
  logits: Tensor, // (N, V)
  targets: Tensor, // (N) u32
  N: number,
  V: number,
  options: LogsoftmaxOptions = {},
): Dispatch {
  return forward(gpu, 'crossEntropyForward', [loss, lse, logits, targets], N, V, options);
}

/** dlogits[n, :] += dloss[n] · (p[n, :] − onehot(targets[n])) / temperature. */
export function crossEntropyBackward(
  gpu: Gpu,
  dlogits: Tensor, // (N, V) += (= with accumulate: false)
  dloss: Tensor, // (N)
  logits: Tensor, // (N, V)
  targets: Tensor, // (N) u32
  lse: Tensor, // (N) from crossEntropyForward
  N: number,
  V: number,
  options: LogsoftmaxBackwardOptions = {},
): Dispatch {
  return backward(gpu, 'crossEntropyBackward', [dlogits, dloss, logits, targets, lse], N, V, options);
}

/** entropy[n] = −Σ_v p log p of softmax(z[n, :]). */
export function entropyForward(
  gpu: Gpu,
  entropy: Tensor, // (N) =
  lse: Tensor, // (N) =
  logits: Tensor, // (N, V)
  N: number,
  V: number,
  options: LogsoftmaxOptions = {},
): Dispatch {
  return forward(gpu, 'entropyForward', [entropy, lse, logits], N, V, options);
}

/** dlogits[n, :] += dentropy[n] · (−p · (log p + entropy[n])) / temperature. */
export function entropyBackward(
  gpu: Gpu,
  dlogits: Tensor, // (N, V) += (= with accumulate: false)
  dentropy: Tensor, // (N)
  logits: Tensor, // (N, V)
  lse: Tensor, // (N) from entropyForward (or logprobForward at the same temperature)
  entropy: Tensor, // (N) from entropyForward
  N: number,
  V: number,
  options: LogsoftmaxBackwardOptions = {},
): Dispatch {
  return backward(gpu, 'entropyBackward', [dlogits, dentropy, logits, lse, entropy], N, V, options);
}
