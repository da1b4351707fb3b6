// The texts and settings on which the Python package must judge and reward as the lab does, and
// the lab's verdict on each: shared by the parity tests (tests/export/parity.test.ts, through an
// export in python3) and the fixtures the package's own tests read (pythonFixtures.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../src/data/csv.ts';
import type { Label } from '../../src/data/schema.ts';
import { readRefusalClassifier } from '../../src/cli/refusalClassifierFile.ts';
import { parseRlConfig, type RlConfig } from '../../src/rl/config.ts';
import { makeRefusalJudge } from '../../src/rl/refusalJudge.ts';
import { PAPER_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import type { RefusalRule } from '../../src/rl/refusalVerifier.ts';
import { safetyReward } from '../../src/rl/rewards.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';

/** The shared XSTest completions with their human labels, one file per model. */
export const XSTEST_DIR = join(import.meta.dirname, '../../../shared/datasets/xstest_completions');
export const XSTEST_FILES = ['gpt4.csv', 'llama2new.csv', 'llama2orig.csv'];
export const XSTEST = XSTEST_FILES.map((name) => join(XSTEST_DIR, name));
export const ROLLOUTS_FILE = join(import.meta.dirname, 'fixtures/demo-rollouts.jsonl');

export interface Sample {
  /** Where the text comes from: "gpt4.csv:12" (the data row), "demo-rollouts.jsonl:3" (the line), "crafted:1". */
  id: string;
  text: string;
  label: Label;
}

/** Every completion of a shared XSTest file; its contrast_ types are the harmful prompts. */
function xstest(name: string): Sample[] {
  const [header, ...rows] = parseCsv(readFileSync(join(XSTEST_DIR, name), 'utf8'));
  const names = header!.cells;
  const completion = names.indexOf('completion');
  const type = names.indexOf('type');
  return rows.map(({ cells }, i) => ({ id: `${name}:${i + 1}`, text: cells[completion]!, label: cells[type]!.startsWith('contrast_') ? 'harmful' : 'benign' }));
}

export interface Rollout extends Sample {
  format: boolean;
  refusal: boolean;
  rule: string | null;
}

export const ROLLOUTS: Rollout[] = readFileSync(ROLLOUTS_FILE, 'utf8')
  .trim()
  .split('\n')
  .map((line, i) => {
    const row = JSON.parse(line) as { completion: string; label: Label; format: boolean; refusal: boolean; rule: string | null };
    return { id: `demo-rollouts.jsonl:${i + 1}`, text: row.completion, label: row.label, format: row.format, refusal: row.refusal, rule: row.rule };
  });

/** Texts where JavaScript and Python differ unless handled: typographic apostrophes, whitespace JavaScript's trim keeps or strips, astral characters. */
export const CRAFTED: Sample[] = [
  { text: 'I can’t help with that.', label: 'harmful' as const },
  { text: '<safety_reasoning>Harmful.</safety_reasoning><answer>I\u02bcm sorry, no.</answer>', label: 'harmful' as const },
  { text: '<safety_reasoning>\u0085</safety_reasoning><answer>Sure.</answer>', label: 'benign' as const },
  { text: '<safety_reasoning>\u00a0\u2028\ufeff</safety_reasoning><answer>Sure.</answer>', label: 'benign' as const },
  { text: '<safety_reasoning>ok</safety_reasoning><answer>\u0085Sorry, no\u001c</answer>', label: 'harmful' as const },
  { text: '<safety_reasoning>😀 fine</safety_reasoning>\n<answer>😀 As an AI I cannot</answer>', label: 'benign' as const },
  { text: '<answer>I cannot</answer><safety_reasoning>late</safety_reasoning>', label: 'harmful' as const },
  { text: '<safety_reasoning>a</safety_reasoning><answer>unclosed', label: 'harmful' as const },
].map((sample, i) => ({ id: `crafted:${i + 1}`, ...sample }));

export const SAMPLES: Sample[] = [...XSTEST_FILES.flatMap(xstest), ...ROLLOUTS, ...CRAFTED];

/** The paper's rules and a user's edits: case flags, Unicode, quotes, backslashes and lookbehind. */
export const EDGE_RULES: RefusalRule[] = [
  ...PAPER_REFUSAL_RULES,
  { pattern: String.raw`(?<=^|\. )(?:Unfortunately|Regrettably),? I`, kind: 'regex', caseSensitive: false },
  { pattern: String.raw`\bnicht\b|\bdésolé\b|ИЗВИНИТЕ`, kind: 'regex', caseSensitive: false },
  { pattern: String.raw`"I won't" \\ 'can\'t'`, kind: 'regex', caseSensitive: true },
  { pattern: 'cannot fulfill', kind: 'prefix', caseSensitive: false },
  { pattern: String.raw`(?<!not )\bunethical\b.{0,40}$`, kind: 'regex', caseSensitive: false },
];

/** The shipped learned refusal classifier, exported when a run judges with it. */
export const CLASSIFIER = readRefusalClassifier();

export interface ParityCase {
  /** Names the case's fixture files (python/tests/fixtures/parity/<slug>.*). */
  slug: string;
  name: string;
  config: RlConfig;
}

export const PARITY_CASES: ParityCase[] = [
  { slug: 'shipped-rules', name: 'the shipped rules', config: parseRlConfig({ r_f: 0.7, r_a: 1.3, w_h: 0.5, helpfulness_scorer: { kind: 'overlap', metric: 'f1' } }) },
  { slug: 'edge-rules', name: 'rules with edge cases', config: parseRlConfig({ refusal_rules: EDGE_RULES, r_f: 1, r_a: 2.5, w_h: 0.25, helpfulness_scorer: { kind: 'overlap', metric: 'rougeL' } }) },
  { slug: 'classifier', name: 'the rules and the learned classifier', config: parseRlConfig({ reward_judge: 'combined', r_f: 0.5 }) },
];

/** The lab's verdict and safety reward, in the Python package's names (verifiers.CompletionVerdict). */
export function labVerdict({ text, label }: Sample, config: RlConfig) {
  const v = verifyCompletion(text, config.format, makeRefusalJudge(config.reward_judge, config.refusal_rules, CLASSIFIER));
  return {
    format: v.formatScore,
    refusal: v.refusalScore,
    rule_index: v.refusal.ruleIndex,
    rule: v.refusal.rule?.pattern ?? null,
    answer: v.format.answer,
    decided_by: v.refusal.decidedBy,
    probability: v.refusal.classifierVote?.probability ?? null,
    reason: v.refusal.reason,
    reward: safetyReward(label, v.formatScore, v.refusalScore, config),
  };
}
