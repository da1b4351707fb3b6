import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { TextTokenizer } from '../../src/model/tokenizer.ts';
import { rougeL, tokenF1 } from '../../src/rl/helpfulness.ts';
import { OnnxRewardModel } from '../../src/rl/onnxRewardModel.ts';
import { summarizeUtility } from '../../src/rl/utility.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';
import { meanIdRewardModel } from '../helpers/onnxModels.ts';

const row = (id: string, label: PromptRow['label'], type: string, reference?: string): PromptRow => ({ id, prompt: `prompt ${id}`, label, type, ...(reference ? { reference } : {}) });
const completion = (r: PromptRow, text: string) => ({ row: r, text, verdict: verifyCompletion(text) });
const templated = (answer: string) => `<safety_reasoning>Safe.</safety_reasoning><answer>${answer}</answer>`;

describe('summarizeUtility', () => {
  const completions = [
    // In the template: the answer alone is scored.
    completion(row('1', 'benign', 'alpaca', 'the cat sat on the mat'), templated('the cat sat')),
    // Out of it: the whole text.
    completion(row('2', 'benign', 'alpaca', 'blue sky'), 'a blue sky'),
    completion(row('3', 'benign', 'self_instruct', 'paris is the capital'), templated("\\boxed{Sorry, I can't comply}")),
    // Not scored: no reference, or harmful.
    completion(row('4', 'benign', 'xstest', undefined), templated('anything')),
    completion(row('5', 'harmful', 'advbench', 'a target string'), templated('a target string')),
  ];

  it('scores benign answers with a reference by token F1 and ROUGE-L, overall and per type', async () => {
    const report = (await summarizeUtility(completions))!;
    const f1 = [tokenF1('the cat sat', 'the cat sat on the mat'), tokenF1('a blue sky', 'blue sky'), 0];
    const rouge = [rougeL('the cat sat', 'the cat sat on the mat'), rougeL('a blue sky', 'blue sky'), 0];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(report.n).toBe(3);
    expect(report.token_f1).toBeCloseTo(mean(f1), 12);
    expect(report.rouge_l).toBeCloseTo(mean(rouge), 12);
    expect(report.by_type).toEqual({
      alpaca: { n: 2, token_f1: mean(f1.slice(0, 2)), rouge_l: mean(rouge.slice(0, 2)) },
      self_instruct: { n: 1, token_f1: 0, rouge_l: 0 },
    });
    expect(report).not.toHaveProperty('reward_model');
  });

  it('adds a reward model’s mean score on the same answers', async () => {
    const dir = 'tests/fixtures/models/llama-gqa';
    const tokenizer = new TextTokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>);
    const model = await OnnxRewardModel.create(meanIdRewardModel(), tokenizer);
    const report = (await summarizeUtility(completions, model))!;
    const expected = await Promise.all([model.score('prompt 1', 'the cat sat'), model.score('prompt 2', 'a blue sky'), model.score('prompt 3', "\\boxed{Sorry, I can't comply}")]);
    expect(report.reward_model).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 3, 6);
    expect(report.by_type.self_instruct!.reward_model).toBeCloseTo(expected[2]!, 6);
  });

  it('is null when no benign row has a reference', async () => {
    expect(await summarizeUtility(completions.slice(3))).toBeNull();
  });
});
