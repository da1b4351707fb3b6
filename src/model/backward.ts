// The backward pass of buildForward, written out as the forward in reverse (llm.c style).
// Gradients go to the parameters `grads` holds: the base model's for full fine-tuning, the LoRA
// adapters' otherwise; whatever it lacks is frozen and costs no work. Parameter gradients
// accumulate (+=) so micro-batches add up; activation gradients go through scratch buffers
// shared by all layers. The loss's own backward through the LM head (HeadBackward: a
// VocabularyHead's, chunk by chunk, so no (N, V) gradient is held) starts it; on entry
// `scratch.dres` must be zero (Gpu.clear); with a trainable embedding, the grouping of this
// step's tokens must be uploaded (uploadTokenGrouping).
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import type { RowBlocks } from '../gpu/rowBlocks.ts';
import { attentionBackward } from '../gpu/kernels/attention.ts';
import { dropoutBackward } from '../gpu/kernels/dropout.ts';
import { embeddingBackward, embeddingGroupingTensors, type TokenGroupingTensors } from '../gpu/kernels/embedding.ts';
import { matmulBiasBackward, matmulForward } from '../gpu/kernels/matmul.ts';
import { rmsnormBackward } from '../gpu/kernels/rmsnorm.ts';
import { ropeBackward } from '../gpu/kernels/rope.ts';
import { swigluBackward } from '../gpu/kernels/swiglu.ts';
import type { Activations, ForwardPass, LlamaModel } from './llama.ts';
import { loraAName, loraBName, modulePath, type LoraTarget } from './lora.ts';
import type { ParameterSet } from './weights.ts';

/** Gradients of activations, one set reused by every layer; shapes for N = B·T rows. */
export class BackwardScratch {
  readonly dres: Tensor; // (N, C) the residual stream's gradient, accumulated through the layers
  readonly dln: Tensor; // (N, C) gradient of a normalised input (ln1, ln2 or lnf)
  readonly dswiglu: Tensor; // (N, I)
  readonly dgate: Tensor; // (N, I)
  readonly dup: Tensor; // (N, I)
  readonly dattnOut: Tensor; // (N, NH·hs)
  readonly dqRot: Tensor; // (N, NH·hs)
  readonly dq: Tensor; // (N, NH·hs)
  readonly dkRot: Tensor; // (N, NKV·hs)
  readonly dk: Tensor; // (N, NKV·hs)
  /** Qwen3: gradients of q_norm(q) and k_norm(k), between RoPE's backward and the norms'. */
  readonly dqkNormed: { q: Tensor; k: Tensor } | null; // (N, NH·hs), (N, NKV·hs)
  readonly dv: Tensor; // (N, NKV·hs)
  readonly dpreatt: Tensor; // (B, NH, T, T)
  readonly dloraHidden: Tensor | null; // (N, r) with LoRA
  readonly dloraInput: Tensor | null; // (N, max in) with LoRA dropout: the gradient of a dropped-out input
  readonly grouping: TokenGroupingTensors; // this step's token ids grouped for the embedding
  private readonly gpu: Gpu;

  constructor(model: LlamaModel, B: number, T: number) {
    const { gpu, config } = model;
    this.gpu = gpu;
    const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I } = config;
    const N = B * T;
    const t = (shape: number[], label: string) => gpu.tensor(shape, label);
    this.dres = t([N, C], 'dres');
    this.dln = t([N, C], 'dln');
    this.dswiglu = t([N, I], 'dswiglu');
    this.dgate = t([N, I], 'dgate');
    this.dup = t([N, I], 'dup');
    this.dattnOut = t([N, NH * hs], 'dattn out');
    this.dqRot = t([N, NH * hs], 'dq rope');
    this.dq = t([N, NH * hs], 'dq');
    this.dkRot = t([N, NKV * hs], 'dk rope');
    this.dk = t([N, NKV * hs], 'dk');
    this.dv = t([N, NKV * hs], 'dv');
    this.dqkNormed = config.qkNorm ? { q: t([N, NH * hs], 'dq normed'), k: t([N, NKV * hs], 'dk normed') } : null;
    this.dpreatt = t([B, NH, T, T], 'dpreatt');
    this.dloraHidden = model.lora ? t([N, model.lora.settings.rank], 'dlora hidden') : null;
    this.dloraInput = model.lora && model.lora.settings.dropout > 0 ? t([N, Math.max(C, I, NH * hs)], 'dlora input') : null;
    this.grouping = embeddingGroupingTensors(gpu, N);
  }

  release(): void {
    const { grouping } = this;
    const tensors = [this.dres, this.dln, this.dswiglu, this.dgate, this.dup, this.dattnOut];
    tensors.push(this.dqRot, this.dq, this.dkRot, this.dk, this.dv, this.dpreatt, grouping.unique, grouping.offsets, grouping.positions);
    if (this.dloraHidden) tensors.push(this.dloraHidden);
    if (this.dloraInput) tensors.push(this.dloraInput);
    if (this.dqkNormed) tensors.push(this.dqkNormed.q, this.dqkNormed.k);
    this.gpu.release(...tensors);
  }
}

/**
 * Gradients of y (N, out) = x (N, in) · Wᵀ + b: dx (= or +=) = dy · W, dW += dyᵀ · x, db += Σ dy;
 * dW and db are skipped where null (frozen).
 */
export function linearBackward(
  gpu: Gpu,
  dx: Tensor,
  dW: Tensor | null,
  db: Tensor | null,
  dy: Tensor,
  x: Tensor,
  W: Tensor,
  N: number,
  out: number,
  inp: number,
  accumulateDx = false,
): Dispatch[] {
  const d = [matmulForward(gpu, dx, dy, W, null, N, inp, out, { layout: 'NN', accumulate: accumulateDx })];
  if (dW) d.push(matmulForward(gpu, dW, dy, x, null, out, inp, N, { layout: 'TN', accumulate: true }));
  if (db) d.push(matmulBiasBackward(gpu, db, dy, N, out));
  return d;
}

/**
 * The LM head's backward for the loss that read its logits: dlnf = ∂loss/∂lnf (=) and
 * dW += ∂loss/∂lm_head (skipped when null: a frozen head).
 */
export type HeadBackward = (
  dlnf: Tensor, // (N, C) =
  dW: RowBlocks | null, // (V, C) +=
  lnf: Tensor, // (N, C)
  W: RowBlocks, // (V, C) lm_head
) => Dispatch[];

/**
 * head: the loss's backward through the LM head. forward: the pass whose activations these are
 * (its LoRA dropout, and with `acts.layerStorage` 'recompute' each layer's dispatches, replayed from the layer's
 * saved input residual right before the layer's backward). afterHead: dispatches that add more
 * gradient into scratch.dln, the gradient of the final norm's output, before it flows on (a value
 * head reading lnf).
 */
export function buildBackward(
  model: LlamaModel,
  acts: Activations,
  grads: ParameterSet,
  s: BackwardScratch,
  head: HeadBackward,
  forward: Pick<ForwardPass, 'layers' | 'dropout'>,
  afterHead: readonly Dispatch[] = [],
): Dispatch[] {
  const { gpu, config, weights: w } = model;
  const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I, vocabSize: V } = config;
  const { B, T, N } = acts;
  if (acts.layerStorage === 'forward') throw new RangeError("buildBackward: these activations are for a forward-only pass (layers: 'forward'); use 'every' or 'recompute'");
  const g = (name: string) => grads.maybe(name);
  const embedGrad = grads.maybeBlocks('model.embed_tokens.weight');
  const d: Dispatch[] = [];

  /**
   * The backward of buildForward's `project`: the base projection's (dx = or +=), and where the
   * projection has an adapter, y += s·u·Bᵀ with u = x'·Aᵀ (x' = x, or dropout(x) when the forward
   * applied dropout) gives dB += s·dyᵀ·u, du = s·dy·B, dA += duᵀ·x' and dx += mask ⊙ (du·A).
   */
  const projectBackward = (l: number, target: LoraTarget, dx: Tensor, dy: Tensor, x: Tensor, out: number, inp: number, accumulateDx = false) => {
    const module = modulePath(l, target);
    d.push(...linearBackward(gpu, dx, g(`${module}.weight`), g(`${module}.bias`), dy, x, w.get(`${module}.weight`), N, out, inp, accumulateDx));
    const adapter = model.lora?.of(l, target);
    const dA = g(loraAName(module));
    const dB = g(loraBName(module));
    if (!adapter || !dA || !dB) return;
    const { rank: r } = model.lora!.settings;
    const scale = model.lora!.scale;
    const u = acts.loraHidden.get(module)!;
    const du = s.dloraHidden!;
    const dropout = forward.dropout ? acts.loraDropout.get(module) : undefined;
    d.push(matmulForward(gpu, dB, dy, u, null, out, r, N, { layout: 'TN', accumulate: true, alpha: scale }));
    d.push(matmulForward(gpu, du, dy, adapter.B, null, N, r, out, { layout: 'NN', alpha: scale }));
    d.push(matmulForward(gpu, dA, du, dropout?.dropped ?? x, null, r, inp, N, { layout: 'TN', accumulate: true }));
    if (dropout) {
      d.push(matmulForward(gpu, s.dloraInput!, du, adapter.A, null, N, inp, r, { layout: 'NN' }));
      d.push(dropoutBackward(gpu, dx, s.dloraInput!, dropout.mask, N * inp, { accumulate: true }));
    } else {
      d.push(matmulForward(gpu, dx, du, adapter.A, null, N, inp, r, { layout: 'NN', accumulate: true }));
    }
  };

  // logits = lnf · lm_headᵀ; a tied head's gradient lands in the embedding's.
  const headGrad = model.weights.maybeBlocks('lm_head.weight') ? grads.maybeBlocks('lm_head.weight') : embedGrad;
  d.push(...head(s.dln, headGrad, acts.lnf, model.lmHead));
  d.push(...afterHead);
  // lnf = rmsnorm(res[L]): the residual stream's gradient starts here.
  d.push(...rmsnormBackward(gpu, s.dres, g('model.norm.weight'), s.dln, acts.resFinal, w.get('model.norm.weight'), acts.lnfRstd, N, C));

  for (let l = config.numLayers - 1; l >= 0; l--) {
    const a = acts.layers[l]!;
    const p = `model.layers.${l}.`;
    // Recomputation: the layer's forward again, from res[l], refills the buffers it shares with
    // the other layers (the same dispatches, dropout masks included, so the same values). The
    // last layer's are still there from the forward.
    if (acts.layerStorage === 'recompute' && l < config.numLayers - 1) d.push(...forward.layers[l]!);
    // In the forward, res[l+1] = mid + down_proj(swiglu): the residual passes dres to both, so
    // dres is both d(down_proj output) and, so far, d(mid).
    projectBackward(l, 'down_proj', s.dswiglu, s.dres, a.swiglu, C, I);
    d.push(swigluBackward(gpu, s.dgate, s.dup, s.dswiglu, a.gate, a.up, N, I));
    projectBackward(l, 'gate_proj', s.dln, s.dgate, a.ln2, I, C);
    projectBackward(l, 'up_proj', s.dln, s.dup, a.ln2, I, C, true);
    // ln2 = rmsnorm(mid): add the path through the norm to d(mid).
    d.push(...rmsnormBackward(gpu, s.dres, g(`${p}post_attention_layernorm.weight`), s.dln, a.mid, w.get(`${p}post_attention_layernorm.weight`), a.ln2Rstd, N, C));
    // mid = res[l] + o_proj(attnOut): dres is d(o_proj output) and, so far, d(res[l]).
    projectBackward(l, 'o_proj', s.dattnOut, s.dres, a.attnOut, C, NH * hs);
    d.push(...attentionBackward(gpu, s.dqRot, s.dkRot, s.dv, s.dpreatt, s.dattnOut, a.qRot, a.kRot, a.v, a.att, B, T, NH, NKV, hs));
    if (a.qkNorm && s.dqkNormed) {
      // Qwen3: qRot = rope(q_norm(q)), so RoPE's backward gives d(q_norm(q)) and the per-head
      // norm's backward (rows of hs) gives dq; nothing else reads q, so dq is written (=).
      const qNorm = `${p}self_attn.q_norm.weight`;
      const kNorm = `${p}self_attn.k_norm.weight`;
      d.push(ropeBackward(gpu, s.dqkNormed.q, s.dqRot, model.freqs, acts.leftPadding, B, T, NH, hs));
      d.push(ropeBackward(gpu, s.dqkNormed.k, s.dkRot, model.freqs, acts.leftPadding, B, T, NKV, hs));
      d.push(...rmsnormBackward(gpu, s.dq, g(qNorm), s.dqkNormed.q, a.q, w.get(qNorm), a.qkNorm.qRstd, N * NH, hs, { accumulate: false }));
      d.push(...rmsnormBackward(gpu, s.dk, g(kNorm), s.dqkNormed.k, a.k, w.get(kNorm), a.qkNorm.kRstd, N * NKV, hs, { accumulate: false }));
    } else {
      d.push(ropeBackward(gpu, s.dq, s.dqRot, model.freqs, acts.leftPadding, B, T, NH, hs));
      d.push(ropeBackward(gpu, s.dk, s.dkRot, model.freqs, acts.leftPadding, B, T, NKV, hs));
    }
    // q, k, v all read ln1: their input gradients add up in dln.
    projectBackward(l, 'q_proj', s.dln, s.dq, a.ln1, NH * hs, C);
    projectBackward(l, 'k_proj', s.dln, s.dk, a.ln1, NKV * hs, C, true);
    projectBackward(l, 'v_proj', s.dln, s.dv, a.ln1, NKV * hs, C, true);
    // ln1 = rmsnorm(res[l]).
    d.push(...rmsnormBackward(gpu, s.dres, g(`${p}input_layernorm.weight`), s.dln, a.res, w.get(`${p}input_layernorm.weight`), a.ln1Rstd, N, C));
  }
  // res[0] = embed(tokens).
  if (embedGrad) d.push(...embeddingBackward(gpu, embedGrad, s.dres, s.grouping, N, C, V));
  return d;
}
