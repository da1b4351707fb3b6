// AdamW over a set of parameters, with PyTorch's global-norm gradient clipping, entirely on the
// GPU: the clip factor never leaves the device, and only the norm (one float) is read back, to
// log it and to stop a run whose gradients turned NaN or Inf.
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import { adamwParams, adamwUpdate, type AdamwHyper } from '../gpu/kernels/adamw.ts';
import { globalNorm, globalNormPartialCount } from '../gpu/kernels/globalnorm.ts';
import type { ParameterSet } from '../model/weights.ts';

export interface OptimizerSettings extends AdamwHyper {
  /** Clip the global gradient norm to this (TRL's max_grad_norm); Infinity turns clipping off. */
  maxGradNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerSettings = {
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
};

export class AdamW {
  readonly m: ParameterSet;
  readonly v: ParameterSet;
  /** Steps taken; the next update uses t + 1 for its bias corrections. */
  t = 0;
  private readonly norm: Tensor;
  private readonly clip: Tensor;
  private readonly partials: Tensor;
  private readonly normDispatches: Dispatch[];
  private readonly updates: { dispatch: Dispatch; size: number }[];

  constructor(
    private readonly gpu: Gpu,
    params: ParameterSet,
    grads: ParameterSet,
    private settings: OptimizerSettings,
  ) {
    if (params.dtype !== 'f32') {
      throw new TypeError(`AdamW updates f32 weights, not a frozen base stored ${params.dtype}: load the model with f32 weights to train it in full (LlamaModel.load's dtype), or train LoRA adapters on it`);
    }
    this.m = params.zerosLike('adam m');
    this.v = params.zerosLike('adam v');
    this.norm = gpu.tensor([1], 'grad norm');
    this.clip = gpu.tensor([1], 'grad clip');
    this.partials = gpu.tensor([Math.max(1, globalNormPartialCount(grads.all()))], 'grad norm partials');
    // clip = min(1, maxNorm / norm); an infinite maxNorm leaves it 1 but still catches NaN.
    this.normDispatches = globalNorm(gpu, this.norm, this.clip, this.partials, grads.all(), settings.maxGradNorm);
    // One update per tensor, block by block for a parameter stored as row blocks.
    this.updates = params.specs.flatMap((spec) => {
      const [m, v, g] = [this.m, this.v, grads].map((set) => set.blocks(spec.name).blocks);
      return params.blocks(spec.name).blocks.map((p, b) => ({
        dispatch: adamwUpdate(gpu, p, m![b]!, v![b]!, g![b]!, this.clip, p.size, settings, 1),
        size: p.size,
      }));
    });
  }

  /** The dispatches of one step at learning rate `lr` (the settings' by default): norm, clip, update. */
  step(lr = this.settings.lr): Dispatch[] {
    this.t += 1;
    for (const u of this.updates) u.dispatch.setParams(adamwParams(u.size, { ...this.settings, lr }, this.t));
    return [...this.normDispatches, ...this.updates.map((u) => u.dispatch)];
  }

  /** Moments and step count, for a checkpoint that resumes exactly. */
  async exportState(): Promise<{ t: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> }> {
    return { t: this.t, m: await this.m.download(), v: await this.v.download() };
  }

  importState(state: { t: number; m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array> }): void {
    this.m.upload(state.m);
    this.v.upload(state.v);
    this.t = state.t;
  }

  /** The gradient norm of the last step, before clipping (NaN or Inf if the gradients were). */
  async gradNorm(): Promise<number> {
    return (await this.gpu.readF32(this.norm))[0]!;
  }

  release(): void {
    this.m.release();
    this.v.release();
    this.gpu.release(this.norm, this.clip, this.partials);
  }
}
