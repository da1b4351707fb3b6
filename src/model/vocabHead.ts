// The LM head and the log-softmax over the vocabulary, one chunk of vocabulary columns at a time,
// so that the (R, V) logits and their gradient are never held: R rows of hidden states x (R, C)
// against lm_head W (V, C), chunk c being W's rows [first, first + Vc).
//
//   forward:  for each chunk: logits_c (R, Vc) = x · W_cᵀ, folded into each row's online
//             log-sum-exp (vocabChunkForward); then logprob, lse, entropy (vocabChunkFinalize)
//   backward: for each chunk: logits_c again, turned in place into ∂loss/∂logits_c
//             (vocabChunkBackward), then dx (= on the first chunk, += after) = Σ_c dlogits_c · W_c
//             and dW_c += dlogits_cᵀ · x
//
// The chunk width is the memory planner's (logitsChunkColumns); every chunk starts at a row of W
// whose byte offset the device can bind (256-byte aligned), the last one may be narrower. A W
// stored as row blocks (over the binding cap) is chunked block by block: no chunk crosses one.
// Where full logits are wanted (generation over the blocks of a large head), `logits` writes each
// chunk into its columns of an (R, V) tensor.
import { Tensor, type Dispatch, type Gpu } from '../gpu/gpu.ts';
import { vocabChunkBackward, vocabChunkFinalize, vocabChunkForward, vocabChunkScatter, type EntropyGradient, type VocabChunk } from '../gpu/kernels/logsoftmax.ts';
import type { RowBlocks } from '../gpu/rowBlocks.ts';
import { matmulForward } from '../gpu/kernels/matmul.ts';
import { BINDING_OFFSET_ALIGNMENT } from './memoryPlanner.ts';

/** The per-row results of the forward: all (R). */
export interface VocabularyOutputs {
  logprob: Tensor; // log p(target) at the temperature
  lse: Tensor; // log Σ exp(logits / temperature), for the backward
  entropy: Tensor; // −Σ p log p
}

/** The per-row upstream gradients of the backward: ∂loss/∂logprob, and the entropy term's where the loss has one. */
export interface VocabularyGradients {
  dlogprob: Tensor; // (R)
  entropy: EntropyGradient | null;
}

export class VocabularyHead {
  readonly chunks: readonly VocabChunk[];
  /** One chunk of logits, then of their gradient (R, Vc). */
  readonly chunkLogits: Tensor;
  /** Each row's running (max, Σ exp, Σ exp·z, target logit) over the chunks (R, 4). */
  readonly rowState: Tensor;

  /**
   * columns: the chunk width Vc (≤ V), from logitsChunkColumns. blockRows: the rows per block of
   * the lm_head it will read (RowBlocks.rowsPerBlock; V for one block).
   */
  constructor(
    private readonly gpu: Gpu,
    readonly R: number,
    readonly V: number,
    readonly C: number,
    columns: number,
    blockRows = V,
  ) {
    if (!(Number.isInteger(columns) && columns >= 1)) throw new RangeError(`vocabulary head: chunk width ${columns} is not a positive integer`);
    const Vc = Math.min(columns, blockRows, V);
    if (Vc < Math.min(blockRows, V) && (Vc * C * 4) % BINDING_OFFSET_ALIGNMENT !== 0) {
      throw new RangeError(`vocabulary head: chunks of ${Vc} rows of lm_head (${C} wide) do not start at ${BINDING_OFFSET_ALIGNMENT}-byte offsets: take the width from logitsChunkColumns`);
    }
    const chunks: VocabChunk[] = [];
    for (let block = 0; block < V; block += blockRows) {
      const end = Math.min(V, block + blockRows);
      for (let first = block; first < end; first += Vc) chunks.push({ first, columns: Math.min(Vc, end - first) });
    }
    this.chunks = chunks;
    this.chunkLogits = gpu.tensor([R, Vc], 'logits chunk');
    this.rowState = gpu.tensor([R, 4], 'logsoftmax row state');
  }

  /** The chunk's share of chunkLogits: (R, columns) row-major from its start. */
  private chunkTensor(chunk: VocabChunk): Tensor {
    return new Tensor(this.chunkLogits.buffer, [this.R, chunk.columns], `logits ${chunk.first}+${chunk.columns}`);
  }

  /** logits_c = x · W_cᵀ. */
  private chunkMatmul(chunk: VocabChunk, W: RowBlocks, x: Tensor): Dispatch {
    return matmulForward(this.gpu, this.chunkTensor(chunk), x, W.slice(chunk.first, chunk.columns), null, this.R, chunk.columns, this.C, { layout: 'NT' });
  }

  /** The full logits out = x · Wᵀ, a chunk at a time: for the few rows that need them (generation). */
  logits(
    out: Tensor, // (R, V) =
    x: Tensor, // (R, C)
    W: RowBlocks, // (V, C)
  ): Dispatch[] {
    return this.chunks.flatMap((chunk) => [this.chunkMatmul(chunk, W, x), vocabChunkScatter(this.gpu, out, this.chunkTensor(chunk), this.R, this.V, chunk)]);
  }

  /** out (logprob, lse, entropy) of softmax(x · Wᵀ / temperature) at `targets`. */
  forward(
    out: VocabularyOutputs,
    x: Tensor, // (R, C)
    W: RowBlocks, // (V, C) lm_head
    targets: Tensor, // (R) u32
    temperature = 1,
  ): Dispatch[] {
    const d: Dispatch[] = [];
    for (const chunk of this.chunks) {
      d.push(this.chunkMatmul(chunk, W, x));
      d.push(vocabChunkForward(this.gpu, this.rowState, this.chunkTensor(chunk), targets, this.R, chunk, { temperature }));
    }
    d.push(vocabChunkFinalize(this.gpu, out.logprob, out.lse, out.entropy, this.rowState, this.R));
    return d;
  }

  /**
   * dx = ∂loss/∂x (=), dW += ∂loss/∂W (skipped when null: a frozen head), for a loss whose
   * gradient w.r.t. each row's logprob (and entropy) is `grads`; lse from this temperature's forward.
   */
  backward(
    dx: Tensor, // (R, C) =
    dW: RowBlocks | null, // (V, C) +=, blocked as W
    grads: VocabularyGradients,
    x: Tensor, // (R, C)
    W: RowBlocks, // (V, C)
    targets: Tensor, // (R) u32
    lse: Tensor, // (R)
    temperature = 1,
  ): Dispatch[] {
    const { gpu, R, C } = this;
    const d: Dispatch[] = [];
    this.chunks.forEach((chunk, c) => {
      const dlogits = this.chunkTensor(chunk);
      const Wc = W.slice(chunk.first, chunk.columns);
      d.push(this.chunkMatmul(chunk, W, x));
      d.push(vocabChunkBackward(gpu, dlogits, grads.dlogprob, targets, lse, grads.entropy, R, chunk, { temperature }));
      d.push(matmulForward(gpu, dx, dlogits, Wc, null, R, C, chunk.columns, { layout: 'NN', accumulate: c > 0 }));
      if (dW) d.push(matmulForward(gpu, dW.slice(chunk.first, chunk.columns), dlogits, x, null, chunk.columns, C, R, { layout: 'TN', accumulate: true }));
    });
    return d;
  }

  release(): void {
    this.gpu.release(this.chunkLogits, this.rowState);
  }
}
