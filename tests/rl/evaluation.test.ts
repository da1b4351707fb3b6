import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { loadModel } from '../../src/model/loader.ts';
import { LlamaModel } from '../../src/model/llama.ts';
import { folderSource } from '../../src/model/nodeFiles.ts';
import { evaluate, summarize, type EvalCompletion } from '../../src/rl/evaluation.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../../src/rl/formatVerifier.ts';
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
    ]);
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
  });
});

describe('evaluate', () => {
  it('decodes every row greedily, prompts of different lengths batched together, as single-row decoding would', async () => {
    const gpu = await testGpu();
    const loaded = await loadModel(folderSource('tests/fixtures/models/llama-gqa'));
    const model = LlamaModel.load(gpu, loaded.config, loaded.weights);
    const rows = [row('a', 'harmful', 'x'), row('bb', 'benign', 'y'), row('c', 'benign', 'y')];
    const settings = { template: 'Q: {{prompt}}', format: DEFAULT_FORMAT_SETTINGS, rules: DEFAULT_REFUSAL_RULES, maxNewTokens: 6, stopStrings: ['</answer>'], batch: 2 };
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
