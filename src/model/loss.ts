// Weighted mean cross-entropy over the tokens a mask selects (the response tokens in SFT; a mask
// value above 1 counts a token more): loss = Σ_n w[n] · (−log p(target[n])), w = mask / Σ mask.
// The per-row weights double as the upstream gradient of each row's loss, so the backward is one
// dispatch.
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import { crossEntropyBackward, crossEntropyForward } from '../gpu/kernels/logsoftmax.ts';

export class MaskedCrossEntropy {
  readonly targets: Tensor; // (N) u32
  readonly weights: Tensor; // (N) mask / count
  readonly loss: Tensor; // (N) per-row −log p(target)
  readonly lse: Tensor; // (N) saved for the backward
  private weightsOnCpu: Float32Array;

  constructor(
    private readonly gpu: Gpu,
    readonly N: number,
    readonly V: number,
  ) {
    this.targets = gpu.tensor([N], 'targets');
    this.weights = gpu.tensor([N], 'loss weights');
    this.loss = gpu.tensor([N], 'loss');
    this.lse = gpu.tensor([N], 'lse');
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
    this.gpu.write(this.weights, this.weightsOnCpu);
    return count;
  }

  forward(logits: Tensor): Dispatch {
    return crossEntropyForward(this.gpu, this.loss, this.lse, logits, this.targets, this.N, this.V);
  }

  /** dlogits = weights · (softmax − onehot(target)); overwrites. */
  backward(dlogits: Tensor, logits: Tensor): Dispatch {
    return crossEntropyBackward(this.gpu, dlogits, this.weights, logits, this.targets, this.lse, this.N, this.V, { accumulate: false });
  }

  /** The weighted mean, from the per-row losses read back (N floats). */
  async read(): Promise<number> {
    const loss = await this.gpu.readF32(this.loss);
    let total = 0;
    for (let n = 0; n < this.N; n++) if (this.weightsOnCpu[n]) total += this.weightsOnCpu[n]! * loss[n]!;
    return total;
  }

  release(): void {
    this.gpu.release(this.targets, this.weights, this.loss, this.lse);
  }
}
