// The backward pass of buildForward, written out as the forward in reverse (llm.c style).
// Parameter gradients accumulate (+=) so micro-batches add up; activation gradients go through
// scratch buffers shared by all layers. On entry `scratch.dlogits` holds ∂loss/∂logits and
// `scratch.dres` must be zero (Gpu.clear); the embedding's grouping of this step's tokens must be
// uploaded (uploadTokenGrouping).
import type { Dispatch, Gpu, Tensor } from '../gpu/gpu.ts';
import { attentionBackward } from '../gpu/kernels/attention.ts';
import { embeddingBackward, embeddingGroupingTensors, type TokenGroupingTensors } from '../gpu/kernels/embedding.ts';
import { matmulBiasBackward, matmulForward } from '../gpu/kernels/matmul.ts';
import { rmsnormBackward } from '../gpu/kernels/rmsnorm.ts';
import { ropeBackward } from '../gpu/kernels/rope.ts';
import { swigluBackward } from '../gpu/kernels/swiglu.ts';
import type { ModelConfig } from './config.ts';
import type { Activations, LlamaModel } from './llama.ts';
import type { ParameterSet } from './weights.ts';

/** Gradients of activations, one set reused by every layer; shapes for N = B·T rows. */
export class BackwardScratch {
  readonly dlogits: Tensor; // (N, V)
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
  readonly dv: Tensor; // (N, NKV·hs)
  readonly dpreatt: Tensor; // (B, NH, T, T)
  readonly grouping: TokenGroupingTensors; // this step's token ids grouped for the embedding

  constructor(
    private readonly gpu: Gpu,
    config: ModelConfig,
    B: number,
    T: number,
  ) {
    const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I, vocabSize: V } = config;
    const N = B * T;
    const t = (shape: number[], label: string) => gpu.tensor(shape, label);
    this.dlogits = t([N, V], 'dlogits');
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
    this.dpreatt = t([B, NH, T, T], 'dpreatt');
    this.grouping = embeddingGroupingTensors(gpu, N);
  }

  release(): void {
    const { grouping, gpu, ...tensors } = this;
    gpu.release(...(Object.values(tensors) as Tensor[]), grouping.unique, grouping.offsets, grouping.positions);
  }
}

/**
 * Gradients of y (N, out) = x (N, in) · Wᵀ + b: dx (= or +=) = dy · W, dW += dyᵀ · x, db += Σ dy.
 * dx is null where the input needs no gradient.
 */
export function linearBackward(
  gpu: Gpu,
  dx: Tensor | null,
  dW: Tensor,
  db: Tensor | null,
  dy: Tensor,
  x: Tensor,
  W: Tensor,
  N: number,
  out: number,
  inp: number,
  accumulateDx = false,
): Dispatch[] {
  const d: Dispatch[] = [];
  if (dx) d.push(matmulForward(gpu, dx, dy, W, null, N, inp, out, { layout: 'NN', accumulate: accumulateDx }));
  d.push(matmulForward(gpu, dW, dy, x, null, out, inp, N, { layout: 'TN', accumulate: true }));
  if (db) d.push(matmulBiasBackward(gpu, db, dy, N, out));
  return d;
}

export function buildBackward(model: LlamaModel, acts: Activations, grads: ParameterSet, s: BackwardScratch): Dispatch[] {
  const { gpu, config, weights: w } = model;
  const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I, vocabSize: V } = config;
  const { B, T, N } = acts;
  const g = (name: string) => grads.get(name);
  const gMaybe = (name: string) => grads.maybe(name);
  const embedGrad = g('model.embed_tokens.weight');
  const d: Dispatch[] = [];

  // logits = lnf · lm_headᵀ; a tied head's gradient lands in the embedding's.
  d.push(...linearBackward(gpu, s.dln, gMaybe('lm_head.weight') ?? embedGrad, null, s.dlogits, acts.lnf, model.lmHead, N, V, C));
  // lnf = rmsnorm(res[L]): the residual stream's gradient starts here.
  d.push(...rmsnormBackward(gpu, s.dres, g('model.norm.weight'), s.dln, acts.resFinal, w.get('model.norm.weight'), acts.lnfRstd, N, C));

  for (let l = config.numLayers - 1; l >= 0; l--) {
    const a = acts.layers[l]!;
    const p = `model.layers.${l}.`;
    // In the forward, res[l+1] = mid + down_proj(swiglu): the residual passes dres to both, so
    // dres is both d(down_proj output) and, so far, d(mid).
    d.push(...linearBackward(gpu, s.dswiglu, g(`${p}mlp.down_proj.weight`), null, s.dres, a.swiglu, w.get(`${p}mlp.down_proj.weight`), N, C, I));
    d.push(swigluBackward(gpu, s.dgate, s.dup, s.dswiglu, a.gate, a.up, N, I));
    d.push(...linearBackward(gpu, s.dln, g(`${p}mlp.gate_proj.weight`), null, s.dgate, a.ln2, w.get(`${p}mlp.gate_proj.weight`), N, I, C));
    d.push(...linearBackward(gpu, s.dln, g(`${p}mlp.up_proj.weight`), null, s.dup, a.ln2, w.get(`${p}mlp.up_proj.weight`), N, I, C, true));
    // ln2 = rmsnorm(mid): add the path through the norm to d(mid).
    d.push(...rmsnormBackward(gpu, s.dres, g(`${p}post_attention_layernorm.weight`), s.dln, a.mid, w.get(`${p}post_attention_layernorm.weight`), a.ln2Rstd, N, C));
    // mid = res[l] + o_proj(attnOut): dres is d(o_proj output) and, so far, d(res[l]).
    d.push(...linearBackward(gpu, s.dattnOut, g(`${p}self_attn.o_proj.weight`), gMaybe(`${p}self_attn.o_proj.bias`), s.dres, a.attnOut, w.get(`${p}self_attn.o_proj.weight`), N, C, NH * hs));
    d.push(...attentionBackward(gpu, s.dqRot, s.dkRot, s.dv, s.dpreatt, s.dattnOut, a.qRot, a.kRot, a.v, a.att, B, T, NH, NKV, hs));
    d.push(ropeBackward(gpu, s.dq, s.dqRot, model.freqs, B, T, NH, hs));
    d.push(ropeBackward(gpu, s.dk, s.dkRot, model.freqs, B, T, NKV, hs));
    // q, k, v all read ln1: their input gradients add up in dln.
    d.push(...linearBackward(gpu, s.dln, g(`${p}self_attn.q_proj.weight`), gMaybe(`${p}self_attn.q_proj.bias`), s.dq, a.ln1, w.get(`${p}self_attn.q_proj.weight`), N, NH * hs, C));
    d.push(...linearBackward(gpu, s.dln, g(`${p}self_attn.k_proj.weight`), gMaybe(`${p}self_attn.k_proj.bias`), s.dk, a.ln1, w.get(`${p}self_attn.k_proj.weight`), N, NKV * hs, C, true));
    d.push(...linearBackward(gpu, s.dln, g(`${p}self_attn.v_proj.weight`), gMaybe(`${p}self_attn.v_proj.bias`), s.dv, a.ln1, w.get(`${p}self_attn.v_proj.weight`), N, NKV * hs, C, true));
    // ln1 = rmsnorm(res[l]).
    d.push(...rmsnormBackward(gpu, s.dres, g(`${p}input_layernorm.weight`), s.dln, a.res, w.get(`${p}input_layernorm.weight`), a.ln1Rstd, N, C));
  }
  // res[0] = embed(tokens).
  d.push(embeddingBackward(gpu, embedGrad, s.dres, s.grouping, N, C, V));
  return d;
}
