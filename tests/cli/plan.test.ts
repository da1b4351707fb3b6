// `lab plan` reads only config.json (a folder holding nothing else plans) and reports what the
// memory planner adds up, with the same numbers planMemory gives.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.ts';
import { LORA_TARGETS } from '../../src/model/lora.ts';
import { planMemory } from '../../src/model/memoryPlanner.ts';
import { lab } from './lab.ts';
import { knownShapeJson } from '../../src/model/knownShapes.ts';

// Qwen2.5-0.5B-Instruct's config.json as published (src/model/knownShapes.ts).
const qwen25 = knownShapeJson('qwen2.5-0.5b');

function configFolder(json: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-plan-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
  return dir;
}

describe('lab plan', () => {
  it('plans a LoRA run of Qwen2.5-0.5B from its config.json alone, as planMemory does', () => {
    const result = lab(['plan', '--model', configFolder(qwen25), '--batch', '8', '--seq', '256', '--lora', '--json', '--budget-gib', '64', '--max-binding-mib', '4096']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      model: { architecture: string; parameters: number };
      run: { finetune: string; lora_rank: number };
      parts: Record<string, number>;
      peak_bytes: number;
      logits_chunk_columns: number;
      fits: boolean;
      trainable_parameters: number;
    };
    const limits = { budgetBytes: 64 * 2 ** 30, maxStorageBufferBindingSize: 4096 * 2 ** 20 };
    const expected = planMemory(
      parseModelConfig(qwen25),
      { batch: 8, seqLen: 256, finetune: { kind: 'lora', rank: 8, targets: LORA_TARGETS }, generationBatch: 0, generationLen: 256, referenceCopy: false },
      limits,
    );
    expect(report.model).toMatchObject({ architecture: 'Qwen2ForCausalLM', parameters: 494_032_768 }); // Qwen2.5-0.5B's published count
    expect(report.run).toMatchObject({ finetune: 'lora', lora_rank: 8 });
    expect(report.trainable_parameters).toBe(expected.trainableParameters);
    expect(report.parts).toEqual(Object.fromEntries(expected.parts.map((p) => [p.name, p.bytes])));
    expect(report.peak_bytes).toBe(expected.totalBytes);
    // One chunk of the vocabulary's logits, not 8 × 256 × 151,936 of them.
    expect(report.logits_chunk_columns).toBe(expected.logitsChunkColumns);
    expect(report.logits_chunk_columns).toBeLessThan(151_936);
    expect(report.peak_bytes).toBe(Object.values(report.parts).reduce((a, b) => a + b, 0));
    expect(report.fits).toBe(true);
  });

  it('fits a LoRA run of the full Qwen2.5-0.5B at 8 × 256 in 3 GiB by recomputing activations, and says so', () => {
    type Report = { peak_bytes: number; fits: boolean; parts: Record<string, number>; options: { recompute: boolean; frozen_weights_dtype: string | null; logits_chunk_columns: number } };
    const plan = (json: unknown, ...extra: string[]) => lab(['plan', '--model', configFolder(json), '--batch', '8', '--seq', '256', '--lora', ...extra]);
    // As published, config.json says torch_dtype bfloat16: the frozen base stays bf16.
    const result = plan({ ...qwen25, torch_dtype: 'bfloat16' }, '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.fits).toBe(true);
    expect(report.options).toMatchObject({ recompute: true, frozen_weights_dtype: 'bf16' });
    expect(report.peak_bytes).toBeLessThanOrEqual(3 * 2 ** 30);
    // Without a dtype the weights are f32: twice the bytes, and still within 3 GiB.
    const f32 = JSON.parse(plan(qwen25, '--json').stdout) as Report;
    expect(f32.options).toMatchObject({ recompute: true, frozen_weights_dtype: 'f32' });
    expect(f32.parts.weights! - report.parts.weights!).toBeGreaterThan(0.45 * 494_032_768 * 2);
    expect(f32.peak_bytes).toBeLessThanOrEqual(3 * 2 ** 30);
    const text = plan({ ...qwen25, torch_dtype: 'bfloat16' });
    expect(text.stdout).toContain(`options: recompute each layer's activations in the backward, frozen weights bf16, logits chunk of ${report.options.logits_chunk_columns} columns`);
  });

  it('says in words what does not fit, and refuses a folder without config.json or a bad option', () => {
    const text = lab(['plan', '--model', configFolder(qwen25), '--batch', '8', '--seq', '256']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Qwen2ForCausalLM, 494\.0 M parameters; batch 8 × 256 tokens, full fine-tuning\n/);
    expect(text.stdout).toMatch(/\n {2}peak +\d+\.\d\d GiB {3}\(budget 4\.00 GiB\)\n/);
    expect(text.stdout).toContain('does not fit: Not enough GPU memory');
    const empty = lab(['plan', '--model', mkdtempSync(join(tmpdir(), 'lab-plan-'))]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/config\.json does not exist: pass a model folder holding config\.json/);
    const badRank = lab(['plan', '--model', configFolder(qwen25), '--lora-rank', '0']);
    expect(badRank.status).toBe(2);
    expect(badRank.stderr).toContain('--lora-rank must be between 1 and 512, not 0');
    const yarn = lab(['plan', '--model', configFolder({ ...qwen25, rope_scaling: { type: 'yarn', factor: 4 } })]);
    expect(yarn.status).toBe(1);
    expect(yarn.stderr).toContain('"rope_scaling" of type "yarn" is not supported');
  });
});
