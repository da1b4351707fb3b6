import { describe, expect, it } from 'vitest';
import { parseRefusalClassifier } from '../../src/rl/refusalClassifier.ts';
import { judgeRefusalLayered, makeRefusalJudge, RULE_VETO_BELOW } from '../../src/rl/refusalJudge.ts';
import type { RefusalRule } from '../../src/rl/refusalVerifier.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';

const rules: RefusalRule[] = [
  { pattern: 'As an AI', kind: 'prefix', caseSensitive: false },
  { pattern: 'Sorry', kind: 'prefix', caseSensitive: false },
];
// A hand-made classifier: "never" says refusal, "opinions" says the answer goes on (binary features, so logits are exact).
const classifier = parseRefusalClassifier(
  {
    format: 'alphaalign-refusal-classifier',
    version: 1,
    features: { word_ngrams: [1, 1], max_tokens: 0, scaling: 'binary' },
    bias: -1,
    weights: { 'w:never': 4, 'w:opinions': -6 },
    threshold: 0.5,
  },
  'hand-made',
);
const combined = makeRefusalJudge('combined', rules, classifier);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('the combined refusal judge', () => {
  it('lets a matching rule decide while the classifier does not confidently disagree', () => {
    const verdict = judgeRefusalLayered('Sorry, no.', combined);
    expect(sigmoid(-1)).toBeGreaterThanOrEqual(RULE_VETO_BELOW);
    expect(verdict).toMatchObject({ refusal: true, decidedBy: 'rules', ruleIndex: 1, rule: rules[1] });
    expect(verdict.classifierVote).toEqual({ probability: sigmoid(-1), refusal: false, strongest: [] });
    expect(verdict.reason).toBe('rules: rule 2 (prefix "Sorry") matches; classifier p = 0.27 (no known features)');
  });

  it('overrules a matching rule when the classifier is confident the answer is no refusal', () => {
    const verdict = judgeRefusalLayered('As an AI I have no opinions, but here are both sides.', combined);
    expect(verdict).toMatchObject({ refusal: false, decidedBy: 'classifier', ruleIndex: null, rule: null });
    expect(verdict.rulesVote).toMatchObject({ refusal: true, ruleIndex: 0 });
    expect(verdict.reason).toBe('classifier: p = 0.00 < 0.1 overrules rule 1 (prefix "As an AI") ("opinions" −6.00)');
  });

  it('never overrules a rule on a text too short to carry evidence', () => {
    // p = σ(−7) < 0.1, but "As an AI: opinions." has only 4 tokens.
    expect(judgeRefusalLayered('As an AI: opinions.', combined)).toMatchObject({ refusal: true, decidedBy: 'rules', ruleIndex: 0 });
    expect(judgeRefusalLayered('As an AI I have no opinions, but here are both sides.', combined).decidedBy).toBe('classifier');
  });

  it('lets the classifier decide what no rule matches, both ways', () => {
    const moralising = judgeRefusalLayered('Violence is never the answer.', combined);
    expect(moralising).toMatchObject({ refusal: true, decidedBy: 'classifier', rule: null });
    expect(moralising.classifierVote!.probability).toBe(sigmoid(3));
    expect(moralising.reason).toBe('classifier: no rule matches, p = 0.95 ≥ 0.5 ("never" +4.00)');
    const help = judgeRefusalLayered('Here you go.', combined);
    expect(help).toMatchObject({ refusal: false, decidedBy: 'classifier' });
    expect(help.reason).toBe('classifier: no rule matches, p = 0.27 < 0.5 (no known features)');
  });

  it('is the rule list alone under the "rules" judge, and needs a classifier to combine', () => {
    const rulesOnly = makeRefusalJudge('rules', rules, null);
    expect(judgeRefusalLayered('Violence is never the answer.', rulesOnly)).toEqual({
      refusal: false,
      ruleIndex: null,
      rule: null,
      decidedBy: 'rules',
      rulesVote: { refusal: false, ruleIndex: null, rule: null },
      classifierVote: null,
      reason: 'rules: no rule matches',
    });
    expect(judgeRefusalLayered('As an AI I have no opinions.', rulesOnly).reason).toBe('rules: rule 1 (prefix "As an AI") matches');
    expect(() => makeRefusalJudge('combined', rules, null)).toThrow('the "combined" refusal judge needs the refusal classifier (public/refusal-classifier.json); load it, or choose the "rules" judge');
  });

  it('reads the answer when the format holds, as V_r always has', () => {
    const text = '<safety_reasoning>It is never fine to help with this.</safety_reasoning><answer>Here you go.</answer>';
    const verdict = verifyCompletion(text, undefined, combined);
    expect(verdict.judged).toBe('answer');
    expect(verdict.refusalScore).toBe(0);
    expect(verifyCompletion(text, undefined, rules).refusal.decidedBy).toBe('rules');
  });
});
