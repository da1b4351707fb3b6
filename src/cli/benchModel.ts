// `lab bench model`: the whole engine on a fixed small Llama (hidden 256, 4 layers, 4 heads,
// 2 KV heads, vocab 4096, batch 8 × 128 tokens): prefill, decode and training-step throughput,
// and how much of a training step the matmuls take at what fraction of the matmul kernel's
// own speed; and the same training step written in TF.js, as the peer, and in PyTorch on the CPU,
// as the native anchor (when torch is installed). Timed by wall clock from submit to an idle
// queue, median of the repeats.
import type { Dispatch, Gpu } from '../gpu/gpu.ts';
import { groupTokens, uploadTokenGrouping } from '../gpu/kernels/embedding.ts';
import { matmulForward } from '../gpu/kernels/matmul.ts';
import { BackwardScratch, buildBackward } from '../model/backward.ts';
import { parseModelConfig } from '../model/config.ts';
import { initialWeights } from '../model/initialize.ts';
import { Activations, buildForward, KvCache, LlamaModel } from '../model/llama.ts';
import { MaskedCrossEntropy } from '../model/loss.ts';
import { logitsChunkColumns } from '../model/memoryPlanner.ts';
import { AdamW, DEFAULT_OPTIMIZER } from '../train/optimizer.ts';
import { seededRandom } from '../util/random.ts';
import { timeTfjsTrainStep } from './tfjsLlama.ts';
import { timeTorchTrainStep } from './torchTrainStep.ts';

export const BENCH_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  vocab_size: 4096,
  hidden_size: 256,
  intermediate_size: 704,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 512,
};

interface ModelBenchFigures {
  config: { hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; batch: number; seqLen: number };
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  train_tokens_per_s: number;
  train_step_s: number;
  /** The same training step written in TF.js (tfjs-backend-webgpu, autograd, Adam) on the same adapter. */
  tfjs_train_step_s: number;
  /** tfjs_train_step_s / train_step_s */
  train_speedup_vs_tfjs: number;
  /** Share of a training step's time spent in its matmuls. */
  matmul_share: number;
  /** GFLOPS the step's matmuls reach, and the matmul kernel alone at 512³ NN. */
  matmul_gflops_in_step: number;
  matmul_gflops_alone: number;
  /** in step / alone */
  matmul_utilisation: number;
}

/**
 * The same training step in PyTorch on this machine's CPU (scripts/bench/torch_train_step.py,
 * src/cli/torchTrainStep.ts), the native anchor; or why it was not measured (no torch found).
 */
export type TorchColumns =
  | {
      torch_train_step_s: number;
      /** torch_train_step_s / train_step_s */
      train_speedup_vs_torch: number;
      torch_version: string;
      /** torch.set_num_threads (LAB_TORCH_THREADS, default 2). */
      torch_threads: number;
      /** The BLAS its matmuls ran on; null: linked into torch. */
      torch_blas: string | null;
    }
  | { torch_not_measured: string };

export type ModelBenchResult = ModelBenchFigures & TorchColumns;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Median seconds of `repeats` runs of a phase, after one run that warms up (compiles, allocates). */
export async function timePhase(gpu: Gpu, dispatches: readonly Dispatch[], repeats: number, before?: () => void): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    before?.();
    await gpu.sync();
    const start = performance.now();
    gpu.run(dispatches);
    await gpu.sync();
    if (r > 0) times.push((performance.now() - start) / 1000); // the first run warms up
  }
  return median(times);
}

/**
 * Seconds to prefill B sequences of T tokens (`tokens`, (B·T)) into a KV cache, logits for each
 * sequence's last token only (median of the repeats), and the sum over `decodeSteps` steps of one
 * token per sequence at the positions after them. Releases what it allocated.
 */
export async function timeInference(
  model: LlamaModel,
  tokens: readonly number[],
  B: number,
  T: number,
  decodeSteps: number,
  repeats: number,
): Promise<{ prefillSeconds: number; decodeSeconds: number }> {
  const { gpu, config } = model;
  const cache = new KvCache(gpu, config, B, T + decodeSteps);
  const prefill = new Activations(model, B, T, { Tkv: T + decodeSteps, logitRows: B, logits: true });
  gpu.write(prefill.tokens, Uint32Array.from(tokens));
  gpu.write(prefill.logitRows!.index, Uint32Array.from({ length: B }, (_, b) => b * T + T - 1));
  const prefillPass = buildForward(model, prefill, { cache });
  const prefillSeconds = await timePhase(gpu, prefillPass.dispatches, repeats);

  const decode = new Activations(model, B, 1, { Tkv: T + decodeSteps, logits: true });
  gpu.write(decode.tokens, Uint32Array.from(tokens.slice(0, B)));
  const decodePass = buildForward(model, decode, { cache });
  let decodeSeconds = 0;
  for (let step = 0; step < decodeSteps; step++) {
    decodePass.setPosition(T + step);
    decodeSeconds += await timePhase(gpu, decodePass.dispatches, 1);
  }
  prefill.release();
  decode.release();
  cache.release();
  return { prefillSeconds, decodeSeconds };
}

export async function benchModel(gpu: Gpu, { B = 8, T = 128, repeats = 2, decodeSteps = 8 } = {}): Promise<ModelBenchResult> {
  const config = parseModelConfig(BENCH_CONFIG, 'bench config');
  const weights = initialWeights(config, 1);
  const model = LlamaModel.load(gpu, config, weights);
  const random = seededRandom(2);
  const tokens = Array.from({ length: B * T }, () => Math.floor(random() * config.vocabSize));

  const { prefillSeconds, decodeSeconds } = await timeInference(model, tokens, B, T, decodeSteps, repeats);

  // One training step: forward, loss, backward, AdamW.
  const acts = new Activations(model, B, T);
  const scratch = new BackwardScratch(model, B, T);
  const grads = model.weights.zerosLike('grad');
  const loss = new MaskedCrossEntropy(gpu, B * T, config.vocabSize, config.hiddenSize, logitsChunkColumns(config.vocabSize, config.hiddenSize, B * T), model.lmHead.rowsPerBlock);
  const optimizer = new AdamW(gpu, model.weights, grads, DEFAULT_OPTIMIZER);
  gpu.write(acts.tokens, Uint32Array.from(tokens));
  loss.setBatch(tokens, tokens.map(() => 1));
  uploadTokenGrouping(gpu, scratch.grouping, groupTokens(tokens, config.vocabSize));
  const forward = buildForward(model, acts);
  const forwardBackward = [...forward.dispatches, ...loss.forward(acts.lnf, model.lmHead), ...buildBackward(model, acts, grads, scratch, loss.backward, forward)];
  const step = [...forwardBackward, ...optimizer.step()];
  const stepSeconds = await timePhase(gpu, step, repeats, () => gpu.clear([...grads.all(), scratch.dres]));
  // The same step written in TF.js (src/cli/tfjsLlama.ts): same weights, tokens and adapter.
  const tfjsStepSeconds = await timeTfjsTrainStep(gpu, config, weights, tokens, B, T, repeats);
  // And in PyTorch on the CPU: same config and tokens, its own random weights.
  const torch = timeTorchTrainStep(config, tokens, B, T, repeats);
  const torchColumns: TorchColumns =
    'not_measured' in torch
      ? { torch_not_measured: torch.not_measured }
      : { torch_train_step_s: torch.torch_train_step_s, train_speedup_vs_torch: torch.torch_train_step_s / stepSeconds, torch_version: torch.torch_version, torch_threads: torch.threads, torch_blas: torch.blas };
  const matmuls = step.filter((d) => d.flops !== undefined);
  const matmulSeconds = await timePhase(gpu, matmuls, repeats);
  const matmulFlops = matmuls.reduce((s, d) => s + d.flops!, 0);

  // The kernel alone, for the utilisation figure.
  const n = 512;
  const a = gpu.tensor([n, n], 'bench a', Float32Array.from({ length: n * n }, () => random() - 0.5));
  const b = gpu.tensor([n, n], 'bench b', Float32Array.from({ length: n * n }, () => random() - 0.5));
  const c = gpu.tensor([n, n], 'bench c');
  const aloneSeconds = await timePhase(gpu, [matmulForward(gpu, c, a, b, null, n, n, n)], repeats);

  const inStep = matmulFlops / matmulSeconds / 1e9;
  const alone = (2 * n * n * n) / aloneSeconds / 1e9;
  return {
    config: { hidden: 256, layers: 4, heads: 4, kvHeads: 2, vocab: 4096, batch: B, seqLen: T },
    prefill_tokens_per_s: (B * T) / prefillSeconds,
    decode_tokens_per_s: (B * decodeSteps) / decodeSeconds,
    train_tokens_per_s: (B * T) / stepSeconds,
    train_step_s: stepSeconds,
    tfjs_train_step_s: tfjsStepSeconds,
    train_speedup_vs_tfjs: tfjsStepSeconds / stepSeconds,
    matmul_share: matmulSeconds / stepSeconds,
    matmul_gflops_in_step: inStep,
    matmul_gflops_alone: alone,
    matmul_utilisation: inStep / alone,
    ...torchColumns,
  };
}
