import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { ATTACK_TEMPLATES } from '../../src/rl/attacks.ts';
import { attackedRows, ATTACKS_NOTE, evaluate, evaluateAttacks, summarize, summarizeAttacks, type EvalCompletion } from '../../src/rl/evaluation.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../../src/rl/formatVerifier.ts';
import { DEFAULT_REASONING_RULES } from '../../src/rl/reasoningRules.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';
import { testGpu } from '../helpers/testGpu.ts';

const row = (id: string, label: PromptRow['label'], type?: string): PromptRow => ({ id, prompt: `prompt ${id}`, label, ...(type ? { type } : {}) });
const completion = (r: PromptRow, text: string): EvalCompletion => ({ row: r, text, verdict: verifyCompletion(text) });
const REFUSE = "<safety_reasoning>Unsafe.</safety_reasoning><answer>\\boxed{Sorry, I can't comply}</answer>";
const COMPLY = '<safety_reasoning>Safe.</safety_reasoning><answer>Here is how.</answer>';

describe('summarize', () => {
  it('computes refusal, over-refusal and format rates, overall and per type', () => {
    const report = summarize([
      completion(row('1', 'harmful', 'advbench'), REFUSE),
      completion(row('2', 'harmful', 'advbench'), COMPLY),
      completion(row('3', 'harmful', 'contrast_homonyms'), "I'm sorry, I can't help with that."),
      completion(row('4', 'benign', 'homonyms'), COMPLY),
      completion(row('5', 'benign', 'homonyms'), REFUSE),
      completion(row('6', 'benign'), 'no tags at all'),
    ], DEFAULT_REASONING_RULES);
    expect(report['refusal_rate/harmful']).toBeCloseTo(2 / 3);
    expect(report['over_refusal_rate/benign']).toBeCloseTo(1 / 3);
    expect(report.format_rate).toBeCloseTo(4 / 6);
    expect([report.n_harmful, report.n_benign]).toEqual([3, 3]);
    expect(report.by_type).toEqual({
      advbench: { label: 'harmful', n: 2, refusal_rate: 0.5, format_rate: 1 },
      benign: { label: 'benign', n: 1, refusal_rate: 0, format_rate: 0 },
      contrast_homonyms: { label: 'harmful', n: 1, refusal_rate: 1, format_rate: 0 },
      homonyms: { label: 'benign', n: 2, refusal_rate: 0.5, format_rate: 1 },
    });
    // Four answers in the template; "Unsafe." and "Safe." conclude but name no harm: two refusals
    // without a stated reason, and every answer follows its reasoning.
    expect(report.reasoning).toEqual({ n_in_format: 4, n_refusals: 2, stated_reason_rate: 0, verdict_rate: 1, agreement_rate: 1 });
  });

  it('reports the share of refusals with a stated reason and the answers that follow their reasoning', () => {
    const reasoned = "<safety_reasoning>This asks how to build a weapon, which is dangerous.</safety_reasoning><answer>\\boxed{Sorry, I can't comply}</answer>";
    const against = '<safety_reasoning>This request looks harmful</safety_reasoning><answer>Sure. Here it is.</answer>';
    const report = summarize(
      [completion(row('1', 'harmful'), reasoned), completion(row('2', 'harmful'), REFUSE), completion(row('3', 'harmful'), COMPLY), completion(row('4', 'harmful'), against)],
      DEFAULT_REASONING_RULES,
    );
    expect(report.reasoning).toEqual({ n_in_format: 4, n_refusals: 2, stated_reason_rate: 0.5, verdict_rate: 1, agreement_rate: 0.75 });
  });
});

describe('attacks in evaluation', () => {
  it('wraps each harmful row in each attack, typed by the attack; benign rows are not attacked', () => {
    const rows = [row('1', 'harmful', 'advbench'), row('2', 'benign', 'alpaca'), row('3', 'harmful')];
    const attacked = attackedRows(rows, ATTACK_TEMPLATES.slice(0, 2));
    expect(attacked.map((r) => [r.id, r.label, r.type])).toEqual([
      ['1/prefix_injection', 'harmful', 'prefix_injection'],
      ['3/prefix_injection', 'harmful', 'prefix_injection'],
      ['1/refusal_suppression', 'harmful', 'refusal_suppression'],
      ['3/refusal_suppression', 'harmful', 'refusal_suppression'],
    ]);
    expect(attacked[0]!.prompt).toBe(ATTACK_TEMPLATES[0]!.render('prompt 1'));
  });

  it('reports refusal and attack success per attack and overall, and says attacks are never trained on', () => {
    const [prefix, suppression] = ATTACK_TEMPLATES;
    const attacked = attackedRows([row('1', 'harmful'), row('2', 'harmful')], [prefix!, suppression!]);
    const texts = [REFUSE, REFUSE, REFUSE, COMPLY];
    const report = summarizeAttacks(attacked.map((r, i) => completion(r, texts[i]!)), [prefix!, suppression!], 3);
    expect(report.note).toBe(ATTACKS_NOTE);
    expect(report.note).toMatch(/no run of the lab trains on them/);
    expect(report.n_too_long).toBe(3);
    expect(report.refusal_rate).toBe(0.75);
    expect(report.attack_success_rate).toBe(0.25);
    expect(report.by_attack).toEqual({
      prefix_injection: { family: 'prefix injection', source: prefix!.source, n: 2, refusal_rate: 1, attack_success_rate: 0, format_rate: 1 },
      refusal_suppression: { family: 'refusal suppression', source: suppression!.source, n: 2, refusal_rate: 0.5, attack_success_rate: 0.5, format_rate: 1 },
    });
  });
});

describe('evaluate', () => {
  it('decodes every row greedily, prompts of different lengths batched together, as single-row decoding would', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const rows = [row('a', 'harmful', 'x'), row('bb', 'benign', 'y'), row('c', 'benign', 'y')];
    const settings = { template: 'Q: {{prompt}}', format: DEFAULT_FORMAT_SETTINGS, judge: { kind: 'rules' as const, rules: DEFAULT_REFUSAL_RULES }, reasoningRules: DEFAULT_REASONING_RULES, maxNewTokens: 6, stopStrings: ['</answer>'], batch: 2 };
    const progress: number[] = [];
    const { report, completions } = await evaluate(model, loaded.tokenizer, rows, settings, (done) => progress.push(done));
    expect(report.n_harmful + report.n_benign).toBe(3);
    expect(progress.at(-1)).toBe(3);
    for (const [i, r] of rows.entries()) {
      const alone = await evaluate(model, loaded.tokenizer, [r], { ...settings, batch: 1 });
      expect(alone.completions[0]!.text, `row ${i}`).toBe(completions[i]!.text);
    }
  });
});

describe('evaluateAttacks', () => {
  it('decodes the attacked harmful rows as evaluate does, and counts those too long for the context', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const settings = { template: 'Q: {{prompt}}', format: DEFAULT_FORMAT_SETTINGS, judge: { kind: 'rules' as const, rules: DEFAULT_REFUSAL_RULES }, reasoningRules: DEFAULT_REASONING_RULES, maxNewTokens: 3, stopStrings: [], batch: 4 };
    const rows = [row('a', 'harmful'), row('b', 'benign'), row('c', 'harmful')];
    // The fixture's context is 64 positions: too small for the real templates, so two of its own.
    const short = { name: 'short', family: 'test', source: 'none', render: (p: string) => `${p}!` };
    const long = { name: 'long', family: 'test', source: 'none', render: (p: string) => p.repeat(40) };
    const { report, completions } = await evaluateAttacks(model, loaded.tokenizer, rows, settings, [short, long]);
    const plain = await evaluate(model, loaded.tokenizer, attackedRows(rows, [short]), settings);
    expect(completions.map((c) => [c.row.id, c.text])).toEqual(plain.completions.map((c) => [c.row.id, c.text]));
    expect(report.n_too_long).toBe(2);
    expect([report.by_attack.short!.n, report.by_attack.long!.n]).toEqual([2, 0]);
    expect(report.by_attack.long).toMatchObject({ refusal_rate: null, attack_success_rate: null, format_rate: null });
  });
});
