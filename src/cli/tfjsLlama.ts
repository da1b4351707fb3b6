// The lab's model written the usual way in TensorFlow.js — layers of tf ops and autograd on
// tfjs-backend-webgpu — as the peer the model benchmark compares a training step against, on the
// same adapter, with the same weights and tokens. It follows Hugging Face's Llama / Qwen2 / Qwen3
// forward exactly (tests/cli/tfjsLlama.test.ts holds it to the PyTorch fixtures), so both sides
// do the same arithmetic.
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients: the tfjs package registers them, on the same tfjs-core.
import '@tensorflow/tfjs';
import type { Gpu } from '../gpu/gpu.ts';
import { ropeInvFreq } from '../gpu/kernels/rope.ts';
import type { ModelConfig } from '../model/config.ts';
import { parameterSpecs } from '../model/parameters.ts';
import { DEFAULT_OPTIMIZER } from '../train/optimizer.ts';
import { tfjsOnDevice } from './benchKernels.ts';

type Tf = typeof import('@tensorflow/tfjs-core');

export interface TfjsLlama {
  /** One trainable variable per Hugging Face parameter name. */
  params: Map<string, Variable>;
  /** Weighted mean cross-entropy of `targets` (B·T) under a 0/1 `mask` (B·T), as MaskedCrossEntropy computes it. */
  loss(tokens: Int32Array, targets: Int32Array, mask: Float32Array, B: number, T: number): Tensor;
  dispose(): void;
}

export function tfjsLlama(tf: Tf, config: ModelConfig, weights: ReadonlyMap<string, Float32Array>): TfjsLlama {
  const { numHeads: NH, numKvHeads: NKV, headDim: hs, rmsNormEps: eps } = config;
  const params = new Map<string, Variable>();
  for (const { name, shape } of parameterSpecs(config)) {
    const values = weights.get(name);
    if (!values) throw new Error(`tfjs model: weight ${name} is missing`);
    params.set(name, tf.variable(tf.tensor(values, shape), true));
  }
  const p = (name: string) => params.get(name)!;
  const has = (name: string) => params.has(name);
  const invFreq = Float32Array.from(ropeInvFreq(hs, config.ropeTheta, config.ropeScaling));

  const rmsnorm = (x: Tensor, weight: Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight);
  // x (N, in) · W(out, in)ᵀ (+ b); 2-D, as tfjs's matMul gradient does not sum over a broadcast batch.
  const linear = (x: Tensor, name: string) => {
    const y = tf.matMul(x, p(`${name}.weight`), false, true);
    return has(`${name}.bias`) ? tf.add(y, p(`${name}.bias`)) : y;
  };

  function loss(tokens: Int32Array, targets: Int32Array, mask: Float32Array, B: number, T: number): Tensor {
    return tf.tidy(() => {
      // RoPE as Hugging Face applies it: q·cos + rotate_half(q)·sin, the frequencies repeated over both halves.
      const angles = tf.outerProduct(tf.range(0, T, 1, 'float32'), tf.tensor1d(invFreq)); // (T, hs/2)
      const cos = tf.concat([tf.cos(angles), tf.cos(angles)], -1); // (T, hs)
      const sin = tf.concat([tf.sin(angles), tf.sin(angles)], -1);
      const rope = (x: Tensor) => {
        const [x1, x2] = tf.split(x, 2, -1);
        return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], -1), sin));
      };
      const causal = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]); // −1e9 above the diagonal
      const heads = (x: Tensor, n: number) => tf.transpose(tf.reshape(x, [B, T, n, hs]), [0, 2, 1, 3]); // (B, n, T, hs)
      // GQA: each KV head serves NH / NKV query heads (tiled in 4-D: tfjs-webgpu's tile stops at rank 4).
      const repeatKv = (x: Tensor) => tf.reshape(tf.tile(tf.reshape(x, [B, NKV, 1, T * hs]), [1, 1, NH / NKV, 1]), [B, NH, T, hs]);

      let x: Tensor = tf.gather(p('model.embed_tokens.weight'), tf.tensor1d(tokens, 'int32')); // (B·T, C)
      for (let l = 0; l < config.numLayers; l++) {
        const pre = `model.layers.${l}.`;
        const h = rmsnorm(x, p(`${pre}input_layernorm.weight`));
        let q = heads(linear(h, `${pre}self_attn.q_proj`), NH);
        let k = heads(linear(h, `${pre}self_attn.k_proj`), NKV);
        const v = heads(linear(h, `${pre}self_attn.v_proj`), NKV);
        if (config.qkNorm) {
          q = rmsnorm(q, p(`${pre}self_attn.q_norm.weight`));
          k = rmsnorm(k, p(`${pre}self_attn.k_norm.weight`));
        }
        q = rope(q);
        k = rope(k);
        const scores = tf.add(tf.mul(tf.matMul(q, repeatKv(k), false, true), 1 / Math.sqrt(hs)), causal); // (B, NH, T, T)
        const attended = tf.matMul(tf.softmax(scores), repeatKv(v)); // (B, NH, T, hs)
        x = tf.add(x, linear(tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B * T, NH * hs]), `${pre}self_attn.o_proj`));
        const h2 = rmsnorm(x, p(`${pre}post_attention_layernorm.weight`));
        const gate = linear(h2, `${pre}mlp.gate_proj`);
        const gated = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(h2, `${pre}mlp.up_proj`)); // SwiGLU
        x = tf.add(x, linear(gated, `${pre}mlp.down_proj`));
      }
      const head = config.tieWordEmbeddings ? p('model.embed_tokens.weight') : p('lm_head.weight');
      const logits = tf.matMul(rmsnorm(x, p('model.norm.weight')), head, false, true); // (B·T, V)
      const logProbs = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, 'int32'), config.vocabSize)), -1); // (B·T)
      const weights = tf.tensor1d(mask);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, weights))), tf.sum(weights));
    });
  }

  return {
    params,
    loss,
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
}

/**
 * One training step of the TF.js model: forward, loss, backward through tf's autograd, and Adam
 * (tfjs has no AdamW; the decoupled decay is one elementwise op per weight, noise beside the rest).
 * Resolves with the loss once the GPU has finished the step.
 */
async function trainStep(
  model: TfjsLlama,
  optimizer: ReturnType<Tf['train']['adam']>,
  batch: { tokens: Int32Array; targets: Int32Array; mask: Float32Array; B: number; T: number },
): Promise<number> {
  const lossValue = optimizer.minimize(() => model.loss(batch.tokens, batch.targets, batch.mask, batch.B, batch.T) as never, true);
  if (!lossValue) throw new Error('tfjs step: no loss returned');
  const [value] = await lossValue.data();
  lossValue.dispose();
  return value!;
}

/**
 * Seconds per TF.js training step on `gpu`'s device, median of `repeats` after one warm-up step,
 * for the model benchmark's comparison (the same config, weights and tokens as the engine's step).
 */
export async function timeTfjsTrainStep(
  gpu: Gpu,
  config: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
  tokens: readonly number[],
  B: number,
  T: number,
  repeats: number,
): Promise<number> {
  const tf = await tfjsOnDevice(gpu);
  const model = tfjsLlama(tf, config, weights);
  const optimizer = tf.train.adam(DEFAULT_OPTIMIZER.lr);
  const batch = { tokens: Int32Array.from(tokens), targets: Int32Array.from(tokens), mask: new Float32Array(tokens.length).fill(1), B, T };
  const times: number[] = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      await gpu.sync();
      const start = performance.now();
      await trainStep(model, optimizer, batch);
      if (r > 0) times.push((performance.now() - start) / 1000);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}
