// Weighted mean cross-entropy over the tokens a mask selects (the response tokens in SFT; a mask
// value above 1 counts a token more): loss = Σ_n w[n] · (−log p(target[n])), w = mask / Σ mask,
// with the LM head folded in: the logits are made and dropped one vocabulary chunk at a time
// (VocabularyHead). The per-row weights, negated, are the upstream gradient of each row's
// log-prob, so the backward needs no other input.
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import type { RowBlocks } from '../gpu/rowBlocks.ts';
import type { HeadBackward } from './backward.ts';
import { VocabularyHead } from './vocabHead.ts';

export class MaskedCrossEntropy {
  readonly targets: Tensor; // (N) u32
  readonly dlogprob: Tensor; // (N) −mask / Σ mask: ∂loss/∂logprob
  readonly logprob: Tensor; // (N) log p(target)
  readonly lse: Tensor; // (N) saved for the backward
  readonly entropy: Tensor; // (N) the head's entropy, not part of the loss
  readonly head: VocabularyHead;
  private weightsOnCpu: Float32Array;

  /**
   * N rows of C hidden values against a (V, C) lm_head of blockRows rows per block,
   * chunkColumns vocabulary columns at a time (logitsChunkColumns).
   */
  constructor(
    private readonly gpu: Gpu,
    readonly N: number,
    readonly V: number,
    C: number,
    chunkColumns: number,
    blockRows = V,
  ) {
    this.targets = gpu.tensor([N], 'targets');
    this.dlogprob = gpu.tensor([N], 'loss dlogprob');
    this.logprob = gpu.tensor([N], 'logprob');
    this.lse = gpu.tensor([N], 'lse');
    this.entropy = gpu.tensor([N], 'entropy');
    this.head = new VocabularyHead(gpu, N, V, C, chunkColumns, blockRows);
    this.weightsOnCpu = new Float32Array(N);
  }

  /**
   * Sets this batch's targets and mask (0 = not counted, else the token's weight). `scale`
   * multiplies the weights, e.g. 1 / micro-batches under gradient accumulation. Returns the number
   * of counted tokens.
   */
  setBatch(targets: ArrayLike<number>, mask: ArrayLike<number>, scale = 1): number {
    if (targets.length !== this.N || mask.length !== this.N) {
      throw new RangeError(`loss: ${targets.length} targets and ${mask.length} mask values for ${this.N} rows`);
    }
    let count = 0;
    let total = 0;
    for (let n = 0; n < this.N; n++) {
      const m = mask[n]!;
      if (!(m >= 0 && Number.isFinite(m))) throw new RangeError(`loss: mask ${n} is ${m}, not a finite weight ≥ 0`);
      count += m > 0 ? 1 : 0;
      total += m;
    }
    const ids = new Uint32Array(this.N);
    for (let n = 0; n < this.N; n++) {
      const t = targets[n]!;
      if (mask[n] && !(Number.isInteger(t) && t >= 0 && t < this.V)) throw new RangeError(`loss: target ${n} is ${t}, not a token id below ${this.V}`);
      ids[n] = mask[n] ? t : 0;
      this.weightsOnCpu[n] = total > 0 ? (mask[n]! * scale) / total : 0;
    }
    this.gpu.write(this.targets, ids);
    this.gpu.write(this.dlogprob, this.weightsOnCpu.map((w) => -w));
    return count;
  }

  /** Each row's log p(target) of softmax(x · Wᵀ). */
  forward(
    x: Tensor, // (N, C) the final norm's output
    W: RowBlocks, // (V, C) lm_head
  ): Dispatch[] {
    return this.head.forward({ logprob: this.logprob, lse: this.lse, entropy: this.entropy }, x, W, this.targets);
  }

  /** dx = ∂loss/∂x (=), dW += ∂loss/∂W unless null, after forward: buildBackward's head. */
  readonly backward: HeadBackward = (dx, dW, x, W) =>
    this.head.backward(dx, dW, { dlogprob: this.dlogprob, entropy: null }, x, W, this.targets, this.lse);

  /** The weighted mean, from the per-row log-probs read back (N floats). */
  async read(): Promise<number> {
    const logprob = await this.gpu.readF32(this.logprob);
    let total = 0;
    for (let n = 0; n < this.N; n++) if (this.weightsOnCpu[n]) total -= this.weightsOnCpu[n]! * logprob[n]!;
    return total;
  }

  release(): void {
    this.gpu.release(this.targets, this.dlogprob, this.logprob, this.lse, this.entropy);
    this.head.release();
  }
}
