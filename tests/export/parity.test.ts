// The exported Python gives the lab's verdicts and rewards, row for row: every shared XSTest
// completion and rollouts of the demo model (tests/export/fixtures, written by `lab eval`) go
// through the TypeScript verifiers and through an export's entry files and package in python3,
// under the shipped rules and under a list with edge cases; `classify` prints what `lab classify`
// prints.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/data/schema.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { overlapScore } from '../../src/rl/helpfulness.ts';
import { groupRewards, helpfulnessRewards, safetyReward } from '../../src/rl/rewards.ts';
import { renderTemplate } from '../../src/rl/template.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';
import { JS_WHITESPACE } from '../../src/export/pythonRegex.ts';
import { lab } from '../cli/lab.ts';
import { CLASSIFIER, CRAFTED, EDGE_RULES, labVerdict, PARITY_CASES, ROLLOUTS, SAMPLES, XSTEST } from './paritySamples.ts';
import { runPython, writeExport } from './python.ts';

describe('the exported Python judges as the lab does', () => {
  it('has every shared XSTest completion and the demo rollouts to compare', () => {
    expect(SAMPLES.length).toBe(3 * 450 + ROLLOUTS.length + CRAFTED.length);
    expect(ROLLOUTS.length).toBeGreaterThanOrEqual(100);
  });

  for (const { name, config } of PARITY_CASES) {
    it(`gives the same format verdict, refusal verdict, matched rule and reward on every completion (${name})`, () => {
      const entry = writeExport('trl', config, CLASSIFIER);
      const python = runPython(entry, SAMPLES.map(({ text, label }) => ({ call: 'verify', args: [text, label] }))) as Record<string, unknown>[];
      const lab = SAMPLES.map((sample) => labVerdict(sample, config));
      const mismatches = lab.flatMap((expected, i) => (JSON.stringify(expected) === JSON.stringify(python[i]) ? [] : [{ i, text: SAMPLES[i]!.text.slice(0, 200), expected, python: python[i] }]));
      expect(mismatches.slice(0, 3)).toEqual([]);
      // Both verdicts and several rules occur: the comparison is not over a constant.
      expect(new Set(lab.map((v) => v.rule_index)).size).toBeGreaterThan(4);
      expect(lab.some((v) => v.format === 1) && lab.some((v) => v.format === 0)).toBe(true);
      if (config.reward_judge === 'combined') expect(lab.filter((v) => v.decided_by === 'classifier').length).toBeGreaterThan(50);
    });
  }

  it('reproduces the verdicts the lab recorded for the demo rollouts', () => {
    const config = parseRlConfig({});
    const entry = writeExport('trl', config, CLASSIFIER);
    const python = runPython(entry, ROLLOUTS.map(({ text, label }) => ({ call: 'verify', args: [text, label] }))) as { format: number; refusal: number; rule: string | null }[];
    expect(python.map((v) => [v.format === 1, v.refusal === 1, v.rule])).toEqual(ROLLOUTS.map((r) => [r.format, r.refusal, r.rule]));
    expect(ROLLOUTS.some((r) => r.refusal) && ROLLOUTS.some((r) => !r.refusal)).toBe(true);
  });

  it("gives TRL's reward functions the lab's rewards on standard and conversational completions, groups and helpfulness included", () => {
    const { config } = PARITY_CASES[1]!;
    const entry = writeExport('trl', config, CLASSIFIER);
    // Groups of 8 real completions under one prompt each; the reference is another completion, so overlaps vary.
    const texts = SAMPLES.map((s) => s.text);
    const groups = Array.from({ length: 80 }, (_, g) => ({
      prompt: `prompt ${g}`,
      label: (g % 3 === 0 ? 'harmful' : 'benign') as Label,
      reference: g % 5 === 4 ? '' : texts[(g * 37 + 11) % texts.length]!,
      completions: texts.slice(g * 8 * 3, g * 8 * 3 + 8 * 3).filter((_, k) => k % 3 === 0),
    }));
    const prompts = groups.flatMap((g) => g.completions.map(() => [{ role: 'user', content: renderTemplate(config.template, g.prompt) }]));
    const completions = groups.flatMap((g) => g.completions);
    const kwargs = {
      label: groups.flatMap((g) => g.completions.map(() => g.label)),
      reference: groups.flatMap((g) => g.completions.map(() => g.reference)),
    };
    const conversational = completions.map((c) => [{ role: 'assistant', content: c }]);
    const [safetyStandard, safetyConversational, helpfulness, formatRate, refusalHarmful, refusalBenign] = runPython(entry, [
      { call: 'safety_reward', args: [prompts, completions], kwargs },
      { call: 'safety_reward', args: [prompts, conversational], kwargs },
      { call: 'helpfulness_reward', args: [prompts, conversational], kwargs },
      { call: 'format_rate', args: [prompts, conversational], kwargs },
      { call: 'refusal_rate_harmful', args: [prompts, conversational], kwargs },
      { call: 'over_refusal_rate_benign', args: [prompts, conversational], kwargs },
    ]) as (number | null)[][];
    const expected = groups.flatMap((g) => {
      const verdicts = g.completions.map((c) => verifyCompletion(c, config.format, config.refusal_rules));
      const scores = g.reference ? verdicts.map((v, k) => overlapScore('rougeL', v.format.answer ?? g.completions[k]!, g.reference)) : null;
      return groupRewards({ label: g.label, formatScores: verdicts.map((v) => v.formatScore), refusalScores: verdicts.map((v) => v.refusalScore), helpfulnessScores: scores }, config);
    });
    expect(safetyStandard).toEqual(expected.map((r) => r.safety));
    expect(safetyConversational).toEqual(expected.map((r) => r.safety));
    expect(helpfulness).toEqual(expected.map((r) => r.helpfulness));
    // TRL sums the functions with reward_weights [1, w_h]: the lab's total, bit for bit.
    expect(safetyStandard!.map((s, i) => 1 * s! + config.w_h * helpfulness![i]!)).toEqual(expected.map((r) => r.total));
    expect(helpfulness!.filter((h) => h! > 0).length).toBeGreaterThan(10);
    // The rates TRL logs at weight 0: V_f of every completion, V_r of each label's (None for the other label).
    const verdicts = groups.flatMap((g) => g.completions.map((c) => ({ label: g.label, v: verifyCompletion(c, config.format, config.refusal_rules) })));
    expect(formatRate).toEqual(verdicts.map(({ v }) => v.formatScore));
    expect(refusalHarmful).toEqual(verdicts.map(({ label, v }) => (label === 'harmful' ? v.refusalScore : null)));
    expect(refusalBenign).toEqual(verdicts.map(({ label, v }) => (label === 'benign' ? v.refusalScore : null)));
  });

  it('z-normalises helpfulness and scores overlaps as the lab does, to the bit', () => {
    const entry = writeExport('trl', parseRlConfig({}), CLASSIFIER);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const groups = Array.from({ length: 300 }, (_, g) => {
      const n = 2 + (g % 15);
      const scores = Array.from({ length: n }, () => (g % 4 === 0 ? Math.round(random() * 4) / 4 : random() * 10 ** (3 - (g % 7))));
      return { scores, refusals: scores.map(() => (random() < 0.2 ? 1 : 0) as 0 | 1) };
    });
    const pairs = SAMPLES.filter((_, i) => i % 5 === 0).map((s, i) => [s.text, SAMPLES[(i * 31 + 7) % SAMPLES.length]!.text] as const);
    const python = runPython(entry, [
      ...groups.map((g) => ({ call: 'helpfulness_rewards', args: [g.scores, g.refusals] })),
      ...pairs.map(([a, r]) => ({ call: 'token_f1', args: [a, r] })),
      ...pairs.map(([a, r]) => ({ call: 'rouge_l', args: [a, r] })),
    ]);
    expect(python).toEqual([
      ...groups.map((g) => helpfulnessRewards(g.scores, g.refusals)),
      ...pairs.map(([a, r]) => overlapScore('f1', a, r)),
      ...pairs.map(([a, r]) => overlapScore('rougeL', a, r)),
    ]);
  });

  it("computes Math.exp and writes numbers as V8 does, so the classifier's probabilities are JavaScript's to the bit", () => {
    const entry = writeExport('trl', parseRlConfig({}), CLASSIFIER);
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const xs = [0, -0, 1, -1, 0.5, 1e-300, -1e-9, 709.7, 709.78, -745.1, -745.2, 0.34657359027997264, 1.0397207708399179, ...Array.from({ length: 20_000 }, (_, i) => (random() - 0.5) * (i % 3 === 0 ? 60 : i % 3 === 1 ? 1400 : 2))];
    const numbers = [0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 1.5e-7, 5.464271559314713e-5, 0.5, 2 ** 53, -3.25e-10, ...xs.slice(13, 2000).map((x) => x * 10 ** ((x * 7) % 30))];
    const python = runPython(entry, [...xs.map((x) => ({ call: 'js_exp', args: [x] })), ...numbers.map((x) => ({ call: 'js_number', args: [x] }))]);
    const exps = python.slice(0, xs.length) as number[];
    expect(exps.filter((e, i) => !Object.is(e, Math.exp(xs[i]!)))).toEqual([]);
    expect(python.slice(xs.length)).toEqual(numbers.map((x) => JSON.stringify(x)));
  });

  it("trims and matches \\s on ECMAScript's white space, as pythonRegex.ts spells it", () => {
    const entry = writeExport('trl', parseRlConfig({}), CLASSIFIER);
    const expected = JS_WHITESPACE.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => String.fromCharCode(lo + i))).join('');
    expect(runPython(entry, [{ call: 'js_whitespace' }])).toEqual([expected]);
  });

  it("gives veRL's compute_score the lab's safety reward and the raw helpfulness score", () => {
    const { config } = PARITY_CASES[1]!;
    const entry = writeExport('verl', config, CLASSIFIER);
    const picked = SAMPLES.filter((_, i) => i % 9 === 0);
    const reference = SAMPLES[3]!.text;
    const python = runPython(entry, picked.map((s) => ({ call: 'compute_score', args: ['alphaalign', s.text, s.label, { reference }] }))) as Record<string, number>[];
    const expected = picked.map((s) => {
      const v = verifyCompletion(s.text, config.format, config.refusal_rules);
      const safety = safetyReward(s.label, v.formatScore, v.refusalScore, config);
      const helpfulness = s.label === 'benign' && v.refusalScore === 0 ? overlapScore('rougeL', v.format.answer ?? s.text, reference) : 0;
      return { score: s.label === 'harmful' ? safety : safety + config.w_h * helpfulness, format: v.formatScore, refusal: v.refusalScore, rule_index: v.refusal.ruleIndex ?? -1, safety, helpfulness };
    });
    expect(python).toEqual(expected);
  });

  it('prints what lab classify prints for every shared XSTest file, under either judge and by default, stdout and stderr', () => {
    const entry = writeExport('trl', parseRlConfig({}), CLASSIFIER);
    const runs = [...XSTEST.flatMap((path) => [[path, '--judge', 'rules'], [path, '--judge', 'combined']]), [XSTEST[0]!]];
    for (const [path, ...judge] of runs) {
      const fromLab = lab(['classify', '--in', path!, ...judge]);
      const fromPython = spawnSync('python3', [entry, 'classify', path!, ...judge], { encoding: 'utf8' });
      expect(fromLab.status, fromLab.stderr).toBe(0);
      expect(fromPython.status, fromPython.stderr).toBe(0);
      expect(fromPython.stdout).toBe(fromLab.stdout);
      expect(fromPython.stderr).toBe(fromLab.stderr);
      expect(fromLab.stdout.split('\n').length).toBe(451);
    }
  });

  it('prints what lab classify --rules prints with edited rules, another column and odd rows', () => {
    const entry = writeExport('trl', parseRlConfig({ refusal_rules: EDGE_RULES }), CLASSIFIER);
    const dir = join(entry, '..');
    const rulesPath = join(dir, 'rules.json');
    writeFileSync(rulesPath, JSON.stringify(EDGE_RULES));
    const csvPath = join(dir, 'odd.csv');
    writeFileSync(
      csvPath,
      '\ufeffid, Reply ,final_label\r\n1,"Unfortunately, I am unable",2_full_refusal\r\n2,"line one\nI cannot do it ""now""",3_partial\r\n3,too,many,fields\n4,Sure 😀 ДА,1_full_compliance\n5,"I\'m not going to do that \\ ok",x\n',
    );
    for (const judge of ['rules', 'combined']) {
      const fromLab = lab(['classify', '--in', csvPath, '--column', 'reply', '--rules', rulesPath, '--judge', judge]);
      const fromPython = spawnSync('python3', [entry, 'classify', csvPath, '--column', 'reply', '--judge', judge], { encoding: 'utf8' });
      expect(fromLab.status, fromLab.stderr).toBe(0);
      expect(fromPython.stdout).toBe(fromLab.stdout);
      expect(fromPython.stderr).toBe(fromLab.stderr);
      expect(fromLab.stderr).toContain('(skipped)');
    }
  });
});
