// The model benchmark's PyTorch anchor without torch: a stand-in Python (a real script) receives
// what the lab hands scripts/bench/torch_train_step.py and answers as it would; the real script
// runs on a tiny config only where torch is installed.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatModel } from '../../src/cli/bench.ts';
import { BENCH_CONFIG, type ModelBenchResult } from '../../src/cli/benchModel.ts';
import {
  findTorchPython,
  parseTorchTrainStep,
  runTorchTrainStep,
  TORCH_NOT_FOUND,
  TORCH_TRAIN_STEP_SCRIPT,
  timeTorchTrainStep,
  torchThreads,
  torchTrainStepRequest,
} from '../../src/cli/torchTrainStep.ts';
import { parseModelConfig } from '../../src/model/config.ts';

const folder = mkdtempSync(join(tmpdir(), 'alphaalign-torch-anchor-'));

/** Writes an executable Python script to the test's folder; returns its path. */
function pythonScript(name: string, body: string): string {
  const path = join(folder, name);
  writeFileSync(path, `#!/usr/bin/python3\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

// Imports torch as far as the probe can tell, records its arguments and stdin, and prints a log
// line and then the script's JSON line.
const withTorch = pythonScript(
  'python-with-torch',
  `import json, sys
if sys.argv[1:] == ['-c', 'import torch']:
    sys.exit(0)
request = json.load(sys.stdin)
with open(${JSON.stringify(join(folder, 'handed.json'))}, 'w') as f:
    json.dump({'argv': sys.argv[1:], 'request': request}, f)
print('a warning torch printed')
print(json.dumps({'torch_train_step_s': 0.25, 'torch_version': 'stand-in', 'threads': request['threads'], 'blas': None}))
`,
);
const withoutTorch = pythonScript('python-without-torch', `raise ModuleNotFoundError("No module named 'torch'")\n`);
const failing = pythonScript('python-failing', `import sys\nif sys.argv[1:] != ['-c', 'import torch']:\n    sys.exit('RuntimeError: out of memory')\n`);

const benchConfig = parseModelConfig(BENCH_CONFIG, 'bench config');

describe('the PyTorch anchor of bench model', () => {
  it('hands the script the parsed config, the tokens as their own targets and the optimiser, and reads its JSON line', () => {
    const tokens = [5, 4095, 0, 17, 3, 3, 9, 1];
    const anchor = timeTorchTrainStep(benchConfig, tokens, 2, 4, 3, { LAB_TORCH_PYTHON: withTorch, LAB_TORCH_THREADS: '3' });
    expect(anchor).toEqual({ torch_train_step_s: 0.25, torch_version: 'stand-in', threads: 3, blas: null });

    const handed = JSON.parse(readFileSync(join(folder, 'handed.json'), 'utf8')) as { argv: string[]; request: Record<string, unknown> };
    expect(handed.argv).toEqual([TORCH_TRAIN_STEP_SCRIPT]);
    const { config, ...rest } = handed.request as { config: Record<string, unknown> };
    const { rope_inv_freq: invFreq, ...sizes } = config as { rope_inv_freq: number[] };
    expect(sizes).toEqual({
      vocab_size: BENCH_CONFIG.vocab_size,
      hidden_size: BENCH_CONFIG.hidden_size,
      intermediate_size: BENCH_CONFIG.intermediate_size,
      num_hidden_layers: BENCH_CONFIG.num_hidden_layers,
      num_attention_heads: BENCH_CONFIG.num_attention_heads,
      num_key_value_heads: BENCH_CONFIG.num_key_value_heads,
      head_dim: BENCH_CONFIG.hidden_size / BENCH_CONFIG.num_attention_heads,
      rms_norm_eps: 1e-6, // parseModelConfig's default: BENCH_CONFIG names none
      tie_word_embeddings: false,
    });
    // Plain RoPE with the default base 10000: 10000^(−2i/hs) for i < hs/2.
    expect(invFreq).toHaveLength(32);
    expect(invFreq[0]).toBe(1);
    expect(invFreq[31]).toBeCloseTo(10000 ** (-62 / 64), 12);
    expect(rest).toEqual({
      optimizer: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, max_grad_norm: 1 },
      tokens,
      targets: tokens,
      B: 2,
      T: 4,
      repeats: 3,
      threads: 3,
    });
  });

  it('says in one line that it was not measured when no Python imports torch, and the table carries it', () => {
    expect(findTorchPython({}, join(folder, 'no-such-python'))).toEqual({ not_measured: TORCH_NOT_FOUND });
    expect(findTorchPython({}, withoutTorch)).toEqual({ not_measured: TORCH_NOT_FOUND });
    expect(findTorchPython({}, withTorch)).toEqual({ python: withTorch });
    expect(findTorchPython({ LAB_TORCH_PYTHON: withoutTorch }, withTorch)).toEqual({ not_measured: `LAB_TORCH_PYTHON=${withoutTorch} cannot import torch` });

    const figures = {
      config: { hidden: 256, layers: 4, heads: 4, kvHeads: 2, vocab: 4096, batch: 8, seqLen: 128 },
      prefill_tokens_per_s: 500,
      decode_tokens_per_s: 100,
      train_tokens_per_s: 128,
      train_step_s: 8,
      tfjs_train_step_s: 40,
      train_speedup_vs_tfjs: 5,
      matmul_share: 0.7,
      matmul_gflops_in_step: 4.5,
      matmul_gflops_alone: 4.6,
      matmul_utilisation: 0.98,
    };
    const missing: ModelBenchResult = { ...figures, torch_not_measured: TORCH_NOT_FOUND };
    const lines = formatModel(missing, 'lavapipe').split('\n');
    expect(lines).toContain('PyTorch anchor: not measured: python3-torch not found (apt-get install python3-torch)');
    expect(lines.find((l) => l.startsWith('TF.js step'))).toContain('ours 5.0× faster');

    const measured: ModelBenchResult = { ...figures, torch_train_step_s: 2, train_speedup_vs_torch: 0.25, torch_version: '1.13.1', torch_threads: 2, torch_blas: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0' };
    expect(formatModel(measured, 'lavapipe').split('\n')).toContain(
      'PyTorch step         2.00 s per step: ours 4.0× slower (same model and tokens, torch 1.13.1 on the CPU, 2 threads, BLAS /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0)',
    );
  });

  it('stops with the script’s error, or with what it printed when that is not its JSON line', () => {
    const request = torchTrainStepRequest(benchConfig, [1, 2], 1, 2, 1, 1);
    expect(() => runTorchTrainStep(failing, request)).toThrow(/exited with 1:\nRuntimeError: out of memory/);
    expect(() => parseTorchTrainStep('Segmentation fault')).toThrow(/printed "Segmentation fault", not a JSON line/);
    expect(parseTorchTrainStep('{"torch_train_step_s": 1.5, "torch_version": "1.13.1", "threads": 2, "blas": null}')).toEqual({ torch_train_step_s: 1.5, torch_version: '1.13.1', threads: 2, blas: null });
    expect(() => parseTorchTrainStep('{"torch_train_step_s": 0, "torch_version": "1.13.1", "threads": 2, "blas": null}')).toThrow(/not \{"torch_train_step_s": seconds > 0/);
    expect(() => parseTorchTrainStep('{"torch_train_step_s": 1.5}')).toThrow(/not \{"torch_train_step_s"/);
    expect(torchThreads({})).toBe(2);
    expect(() => torchThreads({ LAB_TORCH_THREADS: 'two' })).toThrow('LAB_TORCH_THREADS is "two": set it to a positive integer, or unset it (2)');
  });

  const torch = findTorchPython();
  it.skipIf('not_measured' in torch).each([false, true])('runs the real script on a tiny Llama (tied embeddings: %s) and reports a step time', (tied) => {
    const config = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 64,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
      tie_word_embeddings: tied,
    });
    const tokens = Array.from({ length: 2 * 8 }, (_, i) => (i * 37) % 64);
    const step = runTorchTrainStep((torch as { python: string }).python, torchTrainStepRequest(config, tokens, 2, 8, 1, 1));
    expect(step.torch_train_step_s).toBeGreaterThan(0);
    expect(step.torch_version).toMatch(/^\d+\.\d+/);
    expect(step.threads).toBe(1);
  });
});
