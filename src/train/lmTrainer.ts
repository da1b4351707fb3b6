// One optimisation step of a causal language model on token batches: forward, masked
// cross-entropy, backward, AdamW with global-norm clipping, with gradient accumulation over
// micro-batches. Every buffer and dispatch is made once for the batch shape (B, T); a step
// writes the batch's ids and mask, runs, and reads back two numbers: the loss and the grad norm.
import { groupTokens, uploadTokenGrouping } from '../gpu/kernels/embedding.ts';
import type { Dispatch } from '../gpu/gpu.ts';
import { BackwardScratch, buildBackward } from '../model/backward.ts';
import { Activations, buildForward, type ForwardPass, type LlamaModel } from '../model/llama.ts';
import { MaskedCrossEntropy } from '../model/loss.ts';
import { assertPlanFits, type MemoryPlan } from '../model/memoryPlanner.ts';
import type { ParameterSet } from '../model/weights.ts';
import { AdamW, type OptimizerSettings } from './optimizer.ts';

/** B sequences of T tokens, flattened: targets[n] is the token after tokens[n]; mask[n] its loss weight (0: not counted). */
export interface TokenBatch {
  tokens: ArrayLike<number>;
  targets: ArrayLike<number>;
  mask: ArrayLike<number>;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
}

/** Thrown when a step's loss or gradients are not finite; the weights were left as they were. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

export class LmTrainer {
  readonly grads: ParameterSet;
  readonly optimizer: AdamW;
  /** The memory planner's plan for this model at (B, T): what a step may hold on the GPU. */
  readonly plan: MemoryPlan;
  private readonly acts: Activations;
  private readonly scratch: BackwardScratch;
  private readonly loss: MaskedCrossEntropy;
  private readonly microStep: Dispatch[];
  private readonly forward: ForwardPass;
  /** Micro-batches run so far: the counter of LoRA dropout's masks. */
  private microBatches = 0;

  /** seed: of LoRA dropout's masks, when the adapter has dropout. */
  constructor(
    readonly model: LlamaModel,
    readonly B: number,
    readonly T: number,
    settings: OptimizerSettings,
    seed = 0,
  ) {
    const { gpu, config } = model;
    if (T > model.maxPositions) {
      throw new RangeError(`sequences of ${T} tokens exceed the model's ${model.maxPositions} positions (max_position_embeddings): use shorter sequences`);
    }
    const lora = model.lora?.settings;
    const plan = (this.plan = assertPlanFits(
      config,
      { batch: B, seqLen: T, finetune: lora ? { kind: 'lora', ...lora } : { kind: 'full' }, generationBatch: 0, generationLen: 0, referenceCopy: false, frozenDtype: model.weights.dtype },
      { budgetBytes: gpu.memoryBudgetBytes, maxStorageBufferBindingSize: gpu.maxBindingBytes },
    ));
    gpu.pool.holdAtMost(plan.totalBytes);
    this.acts = new Activations(model, B, T, { layers: plan.recompute ? 'recompute' : 'every' });
    this.scratch = new BackwardScratch(model, B, T);
    this.loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, plan.logitsChunkColumns, model.lmHead.rowsPerBlock);
    // With LoRA only the adapters train; the base is frozen.
    const trainable = model.lora?.weights ?? model.weights;
    this.grads = trainable.zerosLike('grad');
    this.optimizer = new AdamW(gpu, trainable, this.grads, settings);
    const dropout = (model.lora?.settings.dropout ?? 0) > 0;
    this.forward = buildForward(model, this.acts, dropout ? { dropoutSeed: seed } : {});
    this.microStep = [
      ...this.forward.dispatches,
      ...this.loss.forward(this.acts.lnf, model.lmHead),
      ...buildBackward(model, this.acts, this.grads, this.scratch, this.loss.backward, this.forward),
    ];
  }

  /** Accumulates the gradients of all micro-batches (each weighted 1/count), then one AdamW step. */
  async step(microBatches: readonly TokenBatch[], lr?: number): Promise<StepResult> {
    const { gpu, config } = this.model;
    gpu.clear(this.grads.all(), 'zero grads');
    let loss = 0;
    for (const batch of microBatches) {
      if (batch.tokens.length !== this.B * this.T) {
        throw new RangeError(`a batch of ${batch.tokens.length} tokens for a trainer of ${this.B}×${this.T}`);
      }
      gpu.write(this.acts.tokens, Uint32Array.from(batch.tokens));
      this.loss.setBatch(batch.targets, batch.mask, 1 / microBatches.length);
      uploadTokenGrouping(gpu, this.scratch.grouping, groupTokens(batch.tokens, config.vocabSize));
      gpu.clear([this.scratch.dres]);
      this.forward.setDropoutStep(this.microBatches++);
      gpu.run(this.microStep, 'forward and backward');
      loss += await this.loss.read();
    }
    gpu.run(this.optimizer.step(lr), 'optimizer');
    const gradNorm = await this.optimizer.gradNorm();
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      // adamwUpdate skips a step whose clip factor is not finite, so the weights are intact.
      const step = this.optimizer.t;
      this.optimizer.t -= 1;
      throw new NonFiniteError(`step ${step}: the loss is ${loss} and the gradient norm ${gradNorm}; the weights were not updated`);
    }
    return { loss, gradNorm };
  }

  release(): void {
    this.acts.release();
    this.scratch.release();
    this.loss.release();
    this.grads.release();
    this.optimizer.release();
  }
}
