// The model benchmark's native anchor: the same training step in PyTorch on this machine's CPU
// (scripts/bench/torch_train_step.py), run when a Python with torch is found. Not a dependency:
// without torch the benchmark says so in one line and reports everything else.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ropeInvFreq } from '../gpu/kernels/rope.ts';
import type { ModelConfig } from '../model/config.ts';
import { DEFAULT_OPTIMIZER } from '../train/optimizer.ts';

export const TORCH_TRAIN_STEP_SCRIPT = fileURLToPath(new URL('../../scripts/bench/torch_train_step.py', import.meta.url));

/** Where Debian's python3-torch installs torch. */
const DEBIAN_PYTHON = '/usr/bin/python3';

export const TORCH_NOT_FOUND = 'python3-torch not found (apt-get install python3-torch)';

/** What the script reads on stdin: the parsed config in Hugging Face's names, the optimiser, the batch. */
export interface TorchTrainStepRequest {
  config: {
    vocab_size: number; // V
    hidden_size: number; // C
    intermediate_size: number;
    num_hidden_layers: number; // L
    num_attention_heads: number; // NH
    num_key_value_heads: number; // NKV
    head_dim: number; // hs
    rms_norm_eps: number;
    tie_word_embeddings: boolean;
    /** (hs/2) RoPE's inverse frequencies, any rope scaling applied, so the script needs no copy of it. */
    rope_inv_freq: number[];
  };
  /** DEFAULT_OPTIMIZER, the engine's step's AdamW; max_grad_norm null for no clipping (JSON has no Infinity). */
  optimizer: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; max_grad_norm: number | null };
  tokens: number[]; // (B·T)
  targets: number[]; // (B·T), −100 where masked
  B: number;
  T: number;
  /** Steps timed after the warm-up one; the median is reported. */
  repeats: number;
  /** torch.set_num_threads. */
  threads: number;
}

/** What the script prints. */
export interface TorchTrainStep {
  torch_train_step_s: number;
  torch_version: string;
  threads: number;
  /** The BLAS libraries the process mapped (Debian's default libblas3 is the slow reference BLAS); null when none was (MKL linked into torch). */
  blas: string | null;
}

export type TorchAnchor = TorchTrainStep | { not_measured: string };

/**
 * The request for the benchmark's step: every token its own target, none masked, as benchModel
 * sets MaskedCrossEntropy's batch.
 */
export function torchTrainStepRequest(config: ModelConfig, tokens: readonly number[], B: number, T: number, repeats: number, threads: number): TorchTrainStepRequest {
  if (config.qkvBias || config.outputBias || config.qkNorm) {
    throw new Error('PyTorch anchor: the script writes out a plain Llama, without attention biases or q/k norms');
  }
  const o = DEFAULT_OPTIMIZER;
  return {
    config: {
      vocab_size: config.vocabSize,
      hidden_size: config.hiddenSize,
      intermediate_size: config.intermediateSize,
      num_hidden_layers: config.numLayers,
      num_attention_heads: config.numHeads,
      num_key_value_heads: config.numKvHeads,
      head_dim: config.headDim,
      rms_norm_eps: config.rmsNormEps,
      tie_word_embeddings: config.tieWordEmbeddings,
      rope_inv_freq: [...ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling)],
    },
    optimizer: { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weightDecay, max_grad_norm: Number.isFinite(o.maxGradNorm) ? o.maxGradNorm : null },
    tokens: [...tokens],
    targets: [...tokens],
    B,
    T,
    repeats,
    threads,
  };
}

const importsTorch = (python: string) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** The Python to run the script with: LAB_TORCH_PYTHON, else Debian's /usr/bin/python3, if it imports torch. */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env, fallback = DEBIAN_PYTHON): { python: string } | { not_measured: string } {
  const chosen = env.LAB_TORCH_PYTHON;
  if (chosen) return importsTorch(chosen) ? { python: chosen } : { not_measured: `LAB_TORCH_PYTHON=${chosen} cannot import torch` };
  return importsTorch(fallback) ? { python: fallback } : { not_measured: TORCH_NOT_FOUND };
}

/**
 * torch.set_num_threads for the anchor: LAB_TORCH_THREADS, else 2, so the anchor is a fixed amount
 * of CPU (torch's default takes every core) and, on the lab's 2-core machine, the cores lavapipe uses.
 */
export function torchThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LAB_TORCH_THREADS;
  if (raw === undefined || raw === '') return 2;
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`LAB_TORCH_THREADS is "${raw}": set it to a positive integer, or unset it (2)`);
  return threads;
}

/** The script's JSON line (the last line of its stdout), checked field by field. */
export function parseTorchTrainStep(stdout: string): TorchTrainStep {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`PyTorch anchor: the script printed ${JSON.stringify(line)}, not a JSON line`);
  }
  const { torch_train_step_s: seconds, torch_version: version, threads, blas } = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof seconds !== 'number' || !(seconds > 0) || !Number.isFinite(seconds) ||
    typeof version !== 'string' ||
    typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 ||
    (typeof blas !== 'string' && blas !== null)
  ) {
    throw new Error(`PyTorch anchor: the script printed ${line}, not {"torch_train_step_s": seconds > 0, "torch_version": "...", "threads": n, "blas": "..." or null}`);
  }
  return { torch_train_step_s: seconds, torch_version: version, threads, blas };
}

/** Runs the script with `python` on `request`; throws with its stderr if it fails. */
export function runTorchTrainStep(python: string, request: TorchTrainStepRequest): TorchTrainStep {
  const result = spawnSync(python, [TORCH_TRAIN_STEP_SCRIPT], { input: JSON.stringify(request), encoding: 'utf8' });
  if (result.error) throw new Error(`PyTorch anchor: ${python} ${TORCH_TRAIN_STEP_SCRIPT}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`PyTorch anchor: ${python} ${TORCH_TRAIN_STEP_SCRIPT} exited with ${result.status ?? result.signal}:\n${result.stderr.trim().split('\n').slice(-20).join('\n')}`);
  }
  return parseTorchTrainStep(result.stdout);
}

/**
 * Seconds per PyTorch training step of `config` on `tokens` (B·T) on the CPU, median of `repeats`
 * after one warm-up step, or why it was not measured: no Python with torch.
 */
export function timeTorchTrainStep(config: ModelConfig, tokens: readonly number[], B: number, T: number, repeats: number, env: NodeJS.ProcessEnv = process.env): TorchAnchor {
  const found = findTorchPython(env);
  if ('not_measured' in found) return found;
  return runTorchTrainStep(found.python, torchTrainStepRequest(config, tokens, B, T, repeats, torchThreads(env)));
}
