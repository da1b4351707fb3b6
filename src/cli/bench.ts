// `lab bench`: runs a benchmark suite and prints a table for people or JSON for tools.
import type { Gpu } from '../gpu/gpu.ts';
import { gib } from '../model/memoryPlanner.ts';
import { benchKernels, type KernelBenchOptions, type KernelBenchResult } from './benchKernels.ts';
import { benchModel, type ModelBenchResult } from './benchModel.ts';
import { benchShape, type ShapeBenchRequest, type ShapeBenchResult } from './benchShape.ts';

function formatKernels(result: KernelBenchResult, adapter: string): string {
  const lines = [`Kernels on ${adapter}`, '', 'matmul          layout   kernel              ours GFLOPS   tfjs GFLOPS   ours/tfjs'];
  for (const r of result.matmul) {
    // The chosen kernel first (marked *), then the other candidates timed beside it.
    const others = r.candidates.filter((c) => c.kernel !== r.kernel);
    [{ kernel: r.kernel, gflops: r.gflops, ratio: r.ratio }, ...others].forEach((c, i) => {
      lines.push(
        `${(i === 0 ? `${r.m}x${r.n}x${r.k}` : '').padEnd(16)}${(i === 0 ? r.layout : '').padEnd(9)}${`${c.kernel}${i === 0 ? ' *' : ''}`.padEnd(18)}` +
          `${c.gflops.toFixed(2).padStart(13)}${(i === 0 ? r.tfjs_gflops.toFixed(2) : '').padStart(14)}${`${c.ratio.toFixed(1)}x`.padStart(12)}`,
      );
    });
  }
  lines.push('* the kernel the lab chooses on this adapter (`bench kernels --candidates` times every candidate on SwiftShader too)');
  lines.push('', 'attention (B, T, NH, NKV, hs)   direction        ms    GFLOPS');
  for (const r of result.attention) {
    lines.push(
      `${`${r.B}, ${r.T}, ${r.NH}, ${r.NKV}, ${r.hs}`.padEnd(32)}${r.direction.padEnd(10)}${r.ms.toFixed(1).padStart(10)}` +
        `${r.gflops.toFixed(2).padStart(10)}`,
    );
  }
  return lines.join('\n');
}

/** A speed ratio (theirs / ours, in seconds) read the way round that is above 1. */
const oursAgainst = (ratio: number) => (ratio >= 1 ? `ours ${ratio.toFixed(1)}× faster` : `ours ${(1 / ratio).toFixed(1)}× slower`);

export function formatModel(r: ModelBenchResult, adapter: string): string {
  const c = r.config;
  return [
    `Model on ${adapter}: hidden ${c.hidden}, ${c.layers} layers, ${c.heads} heads (${c.kvHeads} KV), vocab ${c.vocab}, batch ${c.batch} × ${c.seqLen} tokens`,
    '',
    `prefill          ${r.prefill_tokens_per_s.toFixed(0).padStart(8)} tokens/s`,
    `decode           ${r.decode_tokens_per_s.toFixed(1).padStart(8)} tokens/s`,
    `training step    ${r.train_tokens_per_s.toFixed(0).padStart(8)} tokens/s (${r.train_step_s.toFixed(2)} s per step)`,
    `TF.js step       ${r.tfjs_train_step_s.toFixed(2).padStart(8)} s per step: ${oursAgainst(r.train_speedup_vs_tfjs)} (same model, weights, tokens, adapter)`,
    'torch_not_measured' in r
      ? `PyTorch anchor: not measured: ${r.torch_not_measured}`
      : `PyTorch step     ${r.torch_train_step_s.toFixed(2).padStart(8)} s per step: ${oursAgainst(r.train_speedup_vs_torch)} (same model and tokens, ` +
        `torch ${r.torch_version} on the CPU, ${r.torch_threads} thread${r.torch_threads === 1 ? '' : 's'}, BLAS ${r.torch_blas ?? 'linked into torch'})`,
    `matmuls          ${(100 * r.matmul_share).toFixed(0).padStart(8)} % of the step, at ${r.matmul_gflops_in_step.toFixed(2)} GFLOPS` +
      ` = ${(100 * r.matmul_utilisation).toFixed(0)} % of the kernel alone (${r.matmul_gflops_alone.toFixed(2)} GFLOPS at 512³)`,
  ].join('\n');
}

function formatShape(r: ShapeBenchResult, adapter: string): string {
  const c = r.config;
  const a = r.alphaalign;
  const m = r.memory;
  return [
    `${r.repo}'s shape on ${adapter}, random weights: ${c.layers} of ${c.published_layers} layers, hidden ${c.hidden}, ` +
      `${c.heads} heads (${c.kvHeads} KV, head ${c.headDim}), vocab ${c.vocab}, ${(c.parameters / 1e6).toFixed(1)} M parameters`,
    '',
    `load             ${r.load_s.toFixed(2).padStart(8)} s (bf16 model.safetensors of ${gib(r.load_bytes)} read, widened, on the GPU; ${r.upload_s.toFixed(2)} s of it the upload)`,
    `prefill          ${r.prefill_tokens_per_s.toFixed(1).padStart(8)} tokens/s (batch ${c.batch} × ${c.seqLen} tokens)`,
    `decode           ${r.decode_tokens_per_s.toFixed(1).padStart(8)} tokens/s`,
    `LoRA training    ${r.lora_train_tokens_per_s.toFixed(1).padStart(8)} tokens/s (${r.lora_train_step_s.toFixed(2)} s per step; rank ${r.lora.rank} on ${r.lora.targets.join(', ')})`,
    `AlphaAlign step  ${a.step_s.toFixed(2).padStart(8)} s (the first ${a.first_step_s.toFixed(2)} s): ${a.prompts} prompt${a.prompts === 1 ? '' : 's'} × ${a.generations} completions of ` +
      `up to ${a.max_completion_length} tokens, sequences of up to ${a.seq_len}, ${a.finetune === 'lora' ? 'LoRA' : 'full fine-tuning'}, ${a.tokens_per_s.toFixed(1)} tokens/s`,
    `GPU memory       planned ${gib(m.planned_bytes)}, measured peak ${gib(m.measured_peak_bytes)} (${m.within_plan ? 'within the plan' : 'OVER the plan'}); ` +
      `${m.fits_default_budget ? 'fits' : 'does not fit'} the default budget of ${gib(m.default_budget_bytes)}`,
  ].join('\n');
}

export type BenchSuite = 'kernels' | 'model';

/** shape: `bench model --shape`, a real checkpoint's shape in place of the fixed small Llama. */
export async function runBench(gpu: Gpu, suite: BenchSuite, json: boolean, kernelOptions: KernelBenchOptions = {}, shape: ShapeBenchRequest | null = null): Promise<void> {
  const adapter = `${gpu.adapter.vendor} ${gpu.adapter.architecture}`.trim();
  if (suite === 'kernels') {
    const result = await benchKernels(gpu, kernelOptions);
    process.stdout.write(json ? `${JSON.stringify({ suite, adapter, ...result }, null, 2)}\n` : `${formatKernels(result, adapter)}\n`);
  } else if (shape) {
    const result = await benchShape(gpu, shape.shape, shape.options);
    process.stdout.write(json ? `${JSON.stringify({ suite, adapter, ...result }, null, 2)}\n` : `${formatShape(result, adapter)}\n`);
  } else {
    const result = await benchModel(gpu);
    process.stdout.write(json ? `${JSON.stringify({ suite, adapter, ...result }, null, 2)}\n` : `${formatModel(result, adapter)}\n`);
  }
}
