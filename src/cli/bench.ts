// `lab bench`: runs a benchmark suite and prints a table for people or JSON for tools.
import type { Gpu } from '../gpu/gpu.ts';
import { benchKernels, type KernelBenchResult } from './benchKernels.ts';

function formatKernels(result: KernelBenchResult, adapter: string): string {
  const lines = [`Kernels on ${adapter}`, '', 'matmul          layout   ours GFLOPS   tfjs GFLOPS   ours/tfjs'];
  for (const r of result.matmul) {
    lines.push(
      `${`${r.m}x${r.n}x${r.k}`.padEnd(16)}${r.layout.padEnd(9)}${r.gflops.toFixed(2).padStart(11)}` +
        `${r.tfjs_gflops.toFixed(2).padStart(14)}${`${r.ratio.toFixed(1)}x`.padStart(12)}`,
    );
  }
  lines.push('', 'attention (B, T, NH, NKV, hs)   direction        ms    GFLOPS');
  for (const r of result.attention) {
    lines.push(
      `${`${r.B}, ${r.T}, ${r.NH}, ${r.NKV}, ${r.hs}`.padEnd(32)}${r.direction.padEnd(10)}${r.ms.toFixed(1).padStart(10)}` +
        `${r.gflops.toFixed(2).padStart(10)}`,
    );
  }
  return lines.join('\n');
}

export async function runBench(gpu: Gpu, suite: 'kernels', json: boolean): Promise<void> {
  const result = await benchKernels(gpu);
  const adapter = `${gpu.adapter.vendor} ${gpu.adapter.architecture}`.trim();
  process.stdout.write(json ? `${JSON.stringify({ suite, adapter, ...result }, null, 2)}\n` : `${formatKernels(result, adapter)}\n`);
}
