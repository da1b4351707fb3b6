// Launchers for shaders/logsoftmax.wgsl: log-probs, lse and entropy of softmax(logits / temperature)
// from chunks (N, Vc) of the logits, columns [first, first + Vc), and their backward:
//   for each chunk: its logits, then vocabChunkForward (the online log-sum-exp in rowState)
//   vocabChunkFinalize: logprob, lse, entropy
//   backward, for each chunk: its logits again, vocabChunkBackward (in place: now ∂/∂logits),
//   then the chunk's gradient flows into the hidden states and lm_head's rows (VocabularyHead).
// Shapes: targets (N) u32 token ids (< V); rowState (N, 4); logprob, lse, entropy, dlogprob,
// dentropy (N). Pass the backward the temperature of its forward: it rebuilds p = exp(z − lse)
// from the saved lse, and its gradient is w.r.t. the unscaled logits.
import { f32, u32 } from '../params.ts';
import { grid1d, type Dispatch, type Gpu, type Tensor } from '../gpu.ts';

export interface LogsoftmaxOptions {
  /** z = logits / temperature; > 0, default 1. */
  temperature?: number;
}

/** The forward entry points map one row to one invocation, 64 to a workgroup. */
const ROWS_PER_WORKGROUP = 64;

/** One vocabulary chunk: its first id and its width. */
export interface VocabChunk {
  first: number;
  columns: number;
}

function chunkParams(N: number, chunk: VocabChunk, temperature = 1) {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`logsoftmax: temperature must be finite and > 0, got ${temperature}`);
  }
  return [u32(N), u32(chunk.columns), u32(chunk.first), f32(1 / temperature)];
}

/** Folds one chunk of logits into each row's running (max, Σ exp, Σ exp·z, target logit); the chunk at 0 starts it. */
export function vocabChunkForward(
  gpu: Gpu,
  rowState: Tensor, // (N, 4) = for the chunk at 0, merged after
  chunkLogits: Tensor, // (N, Vc)
  targets: Tensor, // (N) u32
  N: number,
  chunk: VocabChunk,
  options: LogsoftmaxOptions = {},
): Dispatch {
  return gpu.dispatch(
    `vocabChunkForward ${chunk.first}+${chunk.columns}`,
    gpu.pipeline('logsoftmax', 'vocabChunkForward'),
    [rowState, chunkLogits, targets],
    chunkParams(N, chunk, options.temperature),
    grid1d(N, ROWS_PER_WORKGROUP),
  );
}

/** logprob = z[target] − lse, lse, entropy = −Σ p log p, from the state of every chunk. */
export function vocabChunkFinalize(
  gpu: Gpu,
  logprob: Tensor, // (N) =
  lse: Tensor, // (N) =
  entropy: Tensor, // (N) =
  rowState: Tensor, // (N, 4) after the last chunk
  N: number,
): Dispatch {
  return gpu.dispatch('vocabChunkFinalize', gpu.pipeline('logsoftmax', 'vocabChunkFinalize'), [logprob, lse, entropy, rowState], chunkParams(N, { first: 0, columns: 1 }), grid1d(N, ROWS_PER_WORKGROUP));
}

/** The entropy term of vocabChunkBackward: its upstream gradient and the entropy of the forward. */
export interface EntropyGradient {
  dentropy: Tensor; // (N)
  entropy: Tensor; // (N) from vocabChunkFinalize
}

/**
 * In place: chunk (N, Vc) holds the chunk's logits on entry and their gradient on exit,
 * invT · (dlogprob · (onehot(target) − p) − dentropy · p · (log p + entropy)); the cross-entropy
 * is dlogprob = −weight.
 */
export function vocabChunkBackward(
  gpu: Gpu,
  chunkLogits: Tensor, // (N, Vc) logits in, gradient out
  dlogprob: Tensor, // (N)
  targets: Tensor, // (N) u32
  lse: Tensor, // (N) from vocabChunkFinalize at the same temperature
  entropy: EntropyGradient | null,
  N: number,
  chunk: VocabChunk,
  options: LogsoftmaxOptions = {},
): Dispatch {
  // The shader reads the entropy bindings only with ENTROPY, but its layout has them either way:
  // without an entropy term, dlogprob and lse stand in, never read.
  const buffers = [chunkLogits, dlogprob, targets, lse, entropy?.dentropy ?? dlogprob, entropy?.entropy ?? lse];
  return gpu.dispatch(
    `vocabChunkBackward ${chunk.first}+${chunk.columns}${entropy ? ' with entropy' : ''}`,
    gpu.pipeline('logsoftmax', 'vocabChunkBackward', { ENTROPY: entropy ? 1 : 0 }),
    buffers,
    chunkParams(N, chunk, options.temperature),
    grid1d(N, 1),
  );
}

/** logits[:, first .. first + Vc) = chunk: full logits assembled from chunks (generation over a blocked head). */
export function vocabChunkScatter(
  gpu: Gpu,
  logits: Tensor, // (N, V) = the chunk's columns
  chunkLogits: Tensor, // (N, Vc)
  N: number,
  V: number,
  chunk: VocabChunk,
): Dispatch {
  return gpu.dispatch(
    `vocabChunkScatter ${chunk.first}+${chunk.columns}`,
    gpu.pipeline('logsoftmax', 'vocabChunkScatter'),
    [logits, chunkLogits],
    [u32(N), u32(chunk.columns), u32(chunk.first), u32(V)],
    grid1d(N * chunk.columns, 256),
  );
}
