// `lab logits` against PyTorch on the architectures real checkpoints bring (issue 10's first
// Must-reach line): a Llama with llama3 rope scaling over 300 positions (the scaling's original
// context is 64, so most positions lie past it) and a Qwen3 whose head_dim (16) is not
// hidden / heads (48 / 4). Tolerance 1e-3 of the largest |logit|. The references come from
// scripts/make_fixtures.py.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { lab } from './lab.ts';

/** max |actual − expected| / max |expected| over every position and token. */
function relativeError(logits: number[][], expected: Float32Array, V: number): number {
  let max = 0;
  let err = 0;
  logits.forEach((row, t) => {
    expect(row).toHaveLength(V);
    row.forEach((value, v) => {
      const want = expected[t * V + v]!;
      max = Math.max(max, Math.abs(want));
      err = Math.max(err, Math.abs(value - want));
    });
  });
  return err / max;
}

function labLogits(model: string, ids: number[]): number[][] {
  const out = join(mkdtempSync(join(tmpdir(), 'lab-logits-')), 'logits.json');
  const result = lab(['logits', '--model', model, '--tokens', ids.join(','), '--out', out]);
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][] }).logits;
}

describe('lab logits matches PyTorch within 1e-3 of the largest logit', () => {
  it('on a Llama with llama3 rope scaling over 300 positions', () => {
    const dir = 'tests/fixtures/models/llama3-rope-scaling';
    const { long_input_ids: ids } = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as { long_input_ids: number[][] };
    expect(ids[0]).toHaveLength(300);
    const reference = parseSafetensors(readFileSync(`${dir}/expected_long.safetensors`), 'expected_long').read('logits'); // (1, 300, 300)
    const logits = labLogits(dir, ids[0]!);
    expect(logits).toHaveLength(300);
    expect(relativeError(logits, reference, 300)).toBeLessThan(1e-3);
  });

  it('on a Qwen3 with head_dim ≠ hidden / heads', () => {
    const dir = 'tests/fixtures/models/qwen3-head-dim';
    const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as { head_dim: number; hidden_size: number; num_attention_heads: number };
    expect(config.head_dim).not.toBe(config.hidden_size / config.num_attention_heads);
    const { input_ids: ids } = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as { input_ids: number[][] };
    const reference = parseSafetensors(readFileSync(`${dir}/expected.safetensors`), 'expected').read('logits'); // (2, 9, 300): the first row
    const logits = labLogits(dir, ids[0]!);
    expect(logits).toHaveLength(ids[0]!.length);
    expect(relativeError(logits, reference, 300)).toBeLessThan(1e-3);
  });
});
