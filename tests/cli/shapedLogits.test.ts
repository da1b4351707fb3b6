// `lab logits` on models of real width and vocabulary (2 layers of Qwen2.5-0.5B, 1 of
// Llama-3.2-1B with its llama3 rope scaling) against PyTorch, within 1e-3 of each row's max
// |logit| at the columns make_fixtures.py kept; also with LAB_MAX_BINDING_MIB=128, where the
// embedding (tied: also lm_head) is 545 MB and 1.05 GB, stored as 5 and 8 row blocks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShapedModel, type ShapedExpected } from '../helpers/shapedModel.ts';
import { lab } from './lab.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The worst |lab − PyTorch| / max |logit| over the kept columns of every row. */
function worstRelative(logits: number[][], expected: ShapedExpected): number {
  let worst = 0;
  expected.logits.forEach((row, t) => {
    row.forEach((e, k) => {
      worst = Math.max(worst, Math.abs(logits[t]![expected.columns[k]!]! - e) / expected.max_abs[t]!);
    });
  });
  return worst;
}

describe.each(['qwen2.5-0.5b-2layers', 'llama-3.2-1b-1layer'])('lab logits on %s', (name) => {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  dirs.push(dir);
  let expected: ShapedExpected;
  beforeAll(() => {
    expected = writeShapedModel(name, dir);
  }, 300_000);

  for (const cap of [undefined, '128']) {
    it(`matches PyTorch within 1e-3 of the max |logit|${cap ? ` with LAB_MAX_BINDING_MIB=${cap}` : ''}`, () => {
      const out = join(dir, `logits-${cap ?? 'whole'}.json`);
      const env = cap ? { ...process.env, LAB_MAX_BINDING_MIB: cap } : process.env;
      const result = lab(['logits', '--model', dir, '--tokens', expected.tokens.join(','), '--out', out], env, 900_000);
      expect(result.status, result.stderr).toBe(0);
      const { logits } = JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][] };
      expect(logits.length).toBe(expected.tokens.length);
      const worst = worstRelative(logits, expected);
      console.log(`${name}${cap ? ` LAB_MAX_BINDING_MIB=${cap}` : ''}: worst |lab − PyTorch| / max |logit| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-3);
    }, 900_000);
  }
});
