// The Llama / Qwen2 / Qwen3 decoder on the GPU: weights, the RoPE table, and the forward pass,
// layer by layer, as one list of dispatches built once per shape (llm.c style: every activation
// the backward needs is a named buffer of `Activations`, no tape).
//
//   x = embed(tokens)                                        res[0]      (B·T, C)
//   for each layer l:
//     mid     = res[l] + o_proj(attention(rope(q), rope(k), v))   q, k, v from rmsnorm(res[l])
//               (Qwen3: rope(q_norm(q)), rope(k_norm(k)), an RMSNorm over each head's hs values)
//     res[l+1] = mid + down_proj(silu(gate_proj(h)) · up_proj(h))  h = rmsnorm(mid)
//   lnf = rmsnorm(res[L])                                     (B·T, C)
//   logits = lm_head(lnf)    (R, V) only where asked for (generation, `lab logits`): a loss
//                            takes lnf and makes the logits a vocabulary chunk at a time (VocabularyHead)
import type { Dispatch, Gpu, Tensor, TensorDtype } from '../gpu/gpu.ts';
import type { RowBlocks } from '../gpu/rowBlocks.ts';
import { attentionDecode, attentionForward, kvCacheWrite } from '../gpu/kernels/attention.ts';
import { dropoutForward, type DropoutDispatch } from '../gpu/kernels/dropout.ts';
import { embeddingForward } from '../gpu/kernels/embedding.ts';
import { matmulForward } from '../gpu/kernels/matmul.ts';
import { residualForward } from '../gpu/kernels/residual.ts';
import { rmsnormForward } from '../gpu/kernels/rmsnorm.ts';
import { ropeForward, ropeInvFreq, ropeTable, type PositionedDispatch } from '../gpu/kernels/rope.ts';
import { swigluForward } from '../gpu/kernels/swiglu.ts';
import type { ModelConfig } from './config.ts';
import { modulePath, targetShape, type LoraAdapter, type LoraTarget } from './lora.ts';
import { LOGITS_CHUNK_BYTES, logitsChunkColumns, MAX_ROPE_POSITIONS } from './memoryPlanner.ts';
import { VocabularyHead } from './vocabHead.ts';
import { ParameterSet } from './weights.ts';

export class LlamaModel {
  readonly freqs: Tensor; // (Tmax, hs/2, 2) RoPE cos/sin
  readonly maxPositions: number;
  /** LoRA adapters on the frozen base, or null for full fine-tuning. */
  lora: LoraAdapter | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly config: ModelConfig,
    readonly weights: ParameterSet,
  ) {
    this.maxPositions = Math.min(config.maxPositions, MAX_ROPE_POSITIONS);
    this.freqs = gpu.tensor(
      [this.maxPositions, config.headDim / 2, 2],
      'rope table',
      ropeTable(this.maxPositions, config.headDim, config.ropeTheta, ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling)),
    );
  }

  /** dtype: how the weights are stored; a frozen base may keep its checkpoint's 16 bits (weightsStorage). */
  static load(gpu: Gpu, config: ModelConfig, values: ReadonlyMap<string, Float32Array>, dtype: TensorDtype = 'f32'): LlamaModel {
    return new LlamaModel(gpu, config, ParameterSet.weights(gpu, config, values, dtype));
  }

  /** lm_head's weight (V, C): its own, or the embedding when tied; row blocks over the binding cap. */
  get lmHead(): RowBlocks {
    return this.weights.maybeBlocks('lm_head.weight') ?? this.weights.blocks('model.embed_tokens.weight');
  }
}

/**
 * How the layers of a pass hold their activations:
 * - 'every': each layer its own buffers, all of them kept for the backward;
 * - 'recompute': each layer keeps its input residual, the rest is one set of buffers the layers
 *   share, refilled for the backward by replaying a layer's forward (buildBackward);
 * - 'forward': one set of buffers for everything, the residual too: a pass only run forward
 *   (generation, a reference policy's log-probs), which has no backward.
 */
export type LayerStorage = 'every' | 'recompute' | 'forward';

/** What one layer keeps for its backward; shapes for N = B·T rows. */
export interface LayerActivations {
  res: Tensor; // (N, C) the residual stream entering the layer
  ln1: Tensor; // (N, C)
  ln1Rstd: Tensor; // (N)
  q: Tensor; // (N, NH·hs) q_proj's output
  k: Tensor; // (N, NKV·hs) k_proj's output
  v: Tensor; // (N, NKV·hs)
  /** Qwen3's per-head norms, RoPE's input there; null for Llama and Qwen2 (RoPE reads q, k). */
  qkNorm: QkNormActivations | null;
  qRot: Tensor; // (N, NH·hs)
  kRot: Tensor; // (N, NKV·hs)
  att: Tensor; // (B, NH, T, Tkv) softmax probabilities
  attnOut: Tensor; // (N, NH·hs) attention output before o_proj
  mid: Tensor; // (N, C) res + o_proj(attnOut)
  ln2: Tensor; // (N, C)
  ln2Rstd: Tensor; // (N)
  gate: Tensor; // (N, I)
  up: Tensor; // (N, I)
  swiglu: Tensor; // (N, I) silu(gate) · up
}

/** q and k after Qwen3's q_norm / k_norm, each row of hs values normalised on its own. */
export interface QkNormActivations {
  q: Tensor; // (N, NH·hs)
  qRstd: Tensor; // (N·NH)
  k: Tensor; // (N, NKV·hs)
  kRstd: Tensor; // (N·NKV)
}

/** The buffers of one forward pass of B sequences of T tokens, allocated once from the sizes. */
export class Activations {
  readonly N: number;
  readonly tokens: Tensor; // (N) u32 input ids
  /** (B) u32: pad columns before each sequence's first token; 0 unless a generator left-pads prompts. */
  readonly leftPadding: Tensor;
  readonly layers: LayerActivations[];
  readonly resFinal: Tensor; // (N, C) res[L]
  readonly lnf: Tensor; // (R, C)
  readonly lnfRstd: Tensor; // (R)
  /** (R, V), with the `logits` option; null otherwise (training reads lnf through a VocabularyHead). */
  readonly logits: Tensor | null;
  /** With logits from an lm_head stored as row blocks: the head that makes them a chunk at a time. */
  readonly logitsHead: VocabularyHead | null;
  readonly proj: Tensor; // (N, C) scratch: an o_proj or down_proj output before its residual add
  /** With R < N: which rows of res[L] get logits (R) u32, and those rows gathered (R, C). */
  readonly logitRows: { index: Tensor; gathered: Tensor } | null;
  /** x·Aᵀ of every adapted projection (N, r), by module path; empty without LoRA. */
  readonly loraHidden = new Map<string, Tensor>();
  /** With LoRA dropout: each adapter's dropped-out input (N, in) and its mask, by module path. */
  readonly loraDropout = new Map<string, { dropped: Tensor; mask: Tensor }>();
  readonly Tkv: number;
  readonly R: number;
  /** How the layers hold their activations (the constructor's `layers`). */
  readonly layerStorage: LayerStorage;

  /**
   * Tkv: keys per query row, T for training (the default), the KV cache's length for generation.
   * logitRows: rows that go through the final norm (and get logits), all by default; a prefill
   * needs only each sequence's last (B). logits: compute the (R, V) logits in the forward; keep
   * this to few rows (generation, parity checks): training never holds them. layers: how the
   * layers hold their activations (LayerStorage).
   */
  constructor(
    model: LlamaModel,
    readonly B: number,
    readonly T: number,
    options: { Tkv?: number; logitRows?: number; logits?: boolean; layers?: LayerStorage } = {},
  ) {
    const { gpu, config } = model;
    this.gpu = gpu;
    const Tkv = (this.Tkv = options.Tkv ?? T);
    const R = (this.R = options.logitRows ?? B * T);
    const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I, vocabSize: V } = config;
    const N = (this.N = B * T);
    const t = (shape: number[], label: string) => gpu.tensor(shape, label);
    this.tokens = t([N], 'tokens');
    this.leftPadding = gpu.tensor([B], 'left padding', new Uint32Array(B));
    const storage = (this.layerStorage = options.layers ?? 'every');
    // Shared, every layer but the first takes the first's buffers (with recomputation all but res).
    const layer = (l: number): Omit<LayerActivations, 'res'> => ({
      ln1: t([N, C], `ln1 ${l}`),
      ln1Rstd: t([N], `ln1 rstd ${l}`),
      q: t([N, NH * hs], `q ${l}`),
      k: t([N, NKV * hs], `k ${l}`),
      v: t([N, NKV * hs], `v ${l}`),
      qkNorm: config.qkNorm
        ? { q: t([N, NH * hs], `q norm ${l}`), qRstd: t([N * NH], `q norm rstd ${l}`), k: t([N, NKV * hs], `k norm ${l}`), kRstd: t([N * NKV], `k norm rstd ${l}`) }
        : null,
      qRot: t([N, NH * hs], `q rope ${l}`),
      kRot: t([N, NKV * hs], `k rope ${l}`),
      att: t([B, NH, T, Tkv], `att ${l}`),
      attnOut: t([N, NH * hs], `attn out ${l}`),
      mid: t([N, C], `mid ${l}`),
      ln2: t([N, C], `ln2 ${l}`),
      ln2Rstd: t([N], `ln2 rstd ${l}`),
      gate: t([N, I], `gate ${l}`),
      up: t([N, I], `up ${l}`),
      swiglu: t([N, I], `swiglu ${l}`),
    });
    const shared = storage === 'every' ? null : layer(0);
    // Forward only, one residual buffer serves all layers: a layer reads its input (its first
    // norm, mid's add) before its last add overwrites it with the next layer's.
    const sharedRes = storage === 'forward' ? t([N, C], 'res') : null;
    this.layers = Array.from({ length: config.numLayers }, (_, l) => ({ res: sharedRes ?? t([N, C], `res ${l}`), ...(shared ?? layer(l)) }));
    this.resFinal = t([N, C], 'res final');
    this.lnf = t([R, C], 'lnf');
    this.lnfRstd = t([R], 'lnf rstd');
    this.logits = options.logits ? t([R, V], 'logits') : null;
    const head = model.lmHead;
    this.logitsHead =
      options.logits && head.blocks.length > 1
        ? new VocabularyHead(gpu, R, V, C, logitsChunkColumns(V, C, R, Math.min(LOGITS_CHUNK_BYTES, gpu.maxBindingBytes)), head.rowsPerBlock)
        : null;
    this.proj = t([N, C], 'proj');
    this.logitRows = R < N ? { index: t([R], 'logit rows'), gathered: t([R, C], 'logit rows gathered') } : null;
    if (model.lora) {
      for (let l = 0; l < config.numLayers; l++) {
        for (const target of model.lora.settings.targets) {
          // With recomputation, layer 0's buffers serve every layer.
          const first = storage !== 'every' && l > 0 ? modulePath(0, target) : null;
          this.loraHidden.set(modulePath(l, target), first ? this.loraHidden.get(first)! : t([N, model.lora.settings.rank], `lora hidden ${l} ${target}`));
          if (model.lora.settings.dropout > 0) {
            const inp = targetShape(config, target)[1];
            this.loraDropout.set(
              modulePath(l, target),
              first ? this.loraDropout.get(first)! : { dropped: t([N, inp], `lora dropped ${l} ${target}`), mask: t([N, inp], `lora mask ${l} ${target}`) },
            );
          }
        }
      }
    }
  }

  private readonly gpu: Gpu;

  release(): void {
    // A Set: with recomputation the layers share their buffers.
    const tensors = new Set<Tensor>([this.tokens, this.leftPadding, this.resFinal, this.lnf, this.lnfRstd, this.proj]);
    for (const { qkNorm, ...layer } of this.layers) {
      for (const tensor of Object.values(layer)) tensors.add(tensor);
      if (qkNorm) for (const tensor of Object.values(qkNorm)) tensors.add(tensor);
    }
    if (this.logits) tensors.add(this.logits);
    if (this.logitRows) tensors.add(this.logitRows.index).add(this.logitRows.gathered);
    for (const tensor of this.loraHidden.values()) tensors.add(tensor);
    for (const { dropped, mask } of this.loraDropout.values()) tensors.add(dropped).add(mask);
    this.gpu.release(...tensors);
    this.logitsHead?.release();
  }
}

/** Keys and values of every layer for generation: (B, Tmax, NKV, hs) each. */
export class KvCache {
  readonly k: Tensor[];
  readonly v: Tensor[];

  constructor(
    private readonly gpu: Gpu,
    config: ModelConfig,
    readonly B: number,
    readonly Tmax: number,
  ) {
    const shape = [B, Tmax, config.numKvHeads, config.headDim];
    this.k = Array.from({ length: config.numLayers }, (_, l) => gpu.tensor(shape, `k cache ${l}`));
    this.v = Array.from({ length: config.numLayers }, (_, l) => gpu.tensor(shape, `v cache ${l}`));
  }

  release(): void {
    this.gpu.release(...this.k, ...this.v);
  }
}

export interface ForwardPass {
  dispatches: Dispatch[];
  /** Each layer's slice of `dispatches`, from its input residual to the next: what recomputation replays. */
  layers: Dispatch[][];
  /** Whether it applies LoRA dropout (a dropoutSeed and an adapter with dropout). */
  dropout: boolean;
  /** Moves every position-dependent dispatch (RoPE, cache writes, decode attention) to `pos`. */
  setPosition(pos: number): void;
  /** Draws new LoRA dropout masks for a training step (a no-op without dropout). */
  setDropoutStep(step: number): void;
}

/** y (N, out) = x (N, in) · Wᵀ (+ b): a linear layer with Hugging Face's (out, in) weight. */
export function linearForward(gpu: Gpu, y: Tensor, x: Tensor, W: Tensor, b: Tensor | null, N: number, out: number, inp: number): Dispatch {
  return matmulForward(gpu, y, x, W, b, N, out, inp, { layout: 'NT' });
}

export interface ForwardOptions {
  /** The KV cache of generation; without one, attention saves its probabilities for the backward. */
  cache?: KvCache;
  /** Run the LoRA adapters (default); false gives the base model, RL's reference policy. */
  adapters?: boolean;
  /** Training: apply LoRA dropout (when the adapter has some) with masks drawn from this seed. */
  dropoutSeed?: number;
}

/**
 * The forward pass from `acts.tokens` to `acts.lnf`, and `acts.logits` where it has them. Without a cache, attention is causal over
 * the T tokens and saves its probabilities for the backward; with one, the new keys and values
 * are written at the current position and the queries attend to everything cached so far.
 */
export function buildForward(model: LlamaModel, acts: Activations, { cache, adapters = true, dropoutSeed }: ForwardOptions = {}): ForwardPass {
  const { gpu, config, weights: w } = model;
  const { hiddenSize: C, numHeads: NH, numKvHeads: NKV, headDim: hs, intermediateSize: I, vocabSize: V, rmsNormEps: eps } = config;
  const { B, T, N } = acts;
  const lora = adapters ? model.lora : null;
  const positioned: PositionedDispatch[] = [];
  const dropouts: DropoutDispatch[] = [];
  const d: Dispatch[] = embeddingForward(gpu, acts.layers[0]!.res, acts.tokens, w.blocks('model.embed_tokens.weight'), N, C, V);
  /** y = x·Wᵀ (+ b), plus (alpha/r)·(dropout(x)·Aᵀ)·Bᵀ where the projection has an adapter. */
  const project = (l: number, target: LoraTarget, y: Tensor, x: Tensor, out: number, inp: number) => {
    const module = modulePath(l, target);
    d.push(linearForward(gpu, y, x, w.get(`${module}.weight`), w.maybe(`${module}.bias`), N, out, inp));
    const adapter = lora?.of(l, target);
    if (adapter) {
      const u = acts.loraHidden.get(module)!;
      const r = lora!.settings.rank;
      const dropout = dropoutSeed === undefined ? undefined : acts.loraDropout.get(module);
      let input = x;
      if (dropout) {
        // Each adapter draws its own mask: its index is the Philox stream.
        const drop = dropoutForward(gpu, dropout.dropped, dropout.mask, x, N * inp, lora!.settings.dropout, dropoutSeed!, 0, dropouts.length);
        d.push(drop);
        dropouts.push(drop);
        input = dropout.dropped;
      }
      d.push(matmulForward(gpu, u, input, adapter.A, null, N, r, inp, { layout: 'NT' }));
      d.push(matmulForward(gpu, y, u, adapter.B, null, N, out, r, { layout: 'NT', accumulate: true, alpha: lora!.scale }));
    }
  };

  const layers: Dispatch[][] = [];
  acts.layers.forEach((a, l) => {
    const layerStart = d.length;
    const p = `model.layers.${l}.`;
    const resOut = acts.layers[l + 1]?.res ?? acts.resFinal;
    // attention block
    d.push(rmsnormForward(gpu, a.ln1, a.ln1Rstd, a.res, w.get(`${p}input_layernorm.weight`), N, C, eps));
    project(l, 'q_proj', a.q, a.ln1, NH * hs, C);
    project(l, 'k_proj', a.k, a.ln1, NKV * hs, C);
    project(l, 'v_proj', a.v, a.ln1, NKV * hs, C);
    let [ropeInQ, ropeInK] = [a.q, a.k];
    if (a.qkNorm) {
      // Qwen3: the rows of hs values are the heads, NH (NKV) per token.
      d.push(rmsnormForward(gpu, a.qkNorm.q, a.qkNorm.qRstd, a.q, w.get(`${p}self_attn.q_norm.weight`), N * NH, hs, eps));
      d.push(rmsnormForward(gpu, a.qkNorm.k, a.qkNorm.kRstd, a.k, w.get(`${p}self_attn.k_norm.weight`), N * NKV, hs, eps));
      [ropeInQ, ropeInK] = [a.qkNorm.q, a.qkNorm.k];
    }
    const ropeQ = ropeForward(gpu, a.qRot, ropeInQ, model.freqs, acts.leftPadding, B, T, NH, hs);
    const ropeK = ropeForward(gpu, a.kRot, ropeInK, model.freqs, acts.leftPadding, B, T, NKV, hs);
    d.push(ropeQ, ropeK);
    positioned.push(ropeQ, ropeK);
    if (cache) {
      const writeK = kvCacheWrite(gpu, cache.k[l]!, a.kRot, B, T, NKV, hs, cache.Tmax, 0);
      const writeV = kvCacheWrite(gpu, cache.v[l]!, a.v, B, T, NKV, hs, cache.Tmax, 0);
      const attend = attentionDecode(gpu, a.attnOut, a.att, a.qRot, cache.k[l]!, cache.v[l]!, acts.leftPadding, B, T, NH, NKV, hs, cache.Tmax, 0);
      d.push(writeK, writeV, attend);
      positioned.push(writeK, writeV, attend);
    } else {
      d.push(attentionForward(gpu, a.attnOut, a.att, a.qRot, a.kRot, a.v, B, T, NH, NKV, hs));
    }
    project(l, 'o_proj', acts.proj, a.attnOut, C, NH * hs);
    d.push(residualForward(gpu, a.mid, a.res, acts.proj, N * C));
    // MLP block
    d.push(rmsnormForward(gpu, a.ln2, a.ln2Rstd, a.mid, w.get(`${p}post_attention_layernorm.weight`), N, C, eps));
    project(l, 'gate_proj', a.gate, a.ln2, I, C);
    project(l, 'up_proj', a.up, a.ln2, I, C);
    d.push(swigluForward(gpu, a.swiglu, a.gate, a.up, N, I));
    project(l, 'down_proj', acts.proj, a.swiglu, C, I);
    d.push(residualForward(gpu, resOut, a.mid, acts.proj, N * C));
    layers.push(d.slice(layerStart));
  });

  const { R } = acts;
  let final = acts.resFinal;
  if (acts.logitRows) {
    // The embedding's gather, with res[L]'s N rows as the table, picks the rows that need logits.
    d.push(...embeddingForward(gpu, acts.logitRows.gathered, acts.logitRows.index, acts.resFinal, R, C, N));
    final = acts.logitRows.gathered;
  }
  d.push(rmsnormForward(gpu, acts.lnf, acts.lnfRstd, final, w.get('model.norm.weight'), R, C, eps));
  if (acts.logitsHead && acts.logits) d.push(...acts.logitsHead.logits(acts.logits, acts.lnf, model.lmHead));
  else if (acts.logits) d.push(linearForward(gpu, acts.logits, acts.lnf, model.lmHead.blocks[0]!, null, R, V, C));
  return {
    dispatches: d,
    layers,
    dropout: dropouts.length > 0,
    setPosition(pos) {
      for (const p of positioned) p.setPosition(pos);
    },
    setDropoutStep(step) {
      for (const drop of dropouts) drop.setStep(step);
    },
  };
}
