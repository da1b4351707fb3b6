// A refusal classifier of the user's own, as ONNX (a graph built here whose answer is known: it
// calls a text a refusal when it holds one chosen token), and the "onnx" judge that puts it after
// the rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/model/tokenizer.ts';
import { refusalClassOf, refusalModelFromFiles, refusalProbability } from '../../src/rl/onnxRefusalClassifier.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../../src/rl/formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import { judgeRefusalLayered, makeRefusalJudge } from '../../src/rl/refusalJudge.ts';
import { verifyCompletions } from '../../src/rl/verifiers.ts';
import { tokenRefusalClassifier } from '../helpers/onnxModels.ts';

const dir = 'tests/fixtures/models/llama-gqa';
const tokenizerJson = new Uint8Array(readFileSync(`${dir}/tokenizer.json`));
const tokenizer = new TextTokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')), {});
/** The token the test classifier calls a refusal: the first of "nope". */
const NOPE = tokenizer.encode('nope')[0]!;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function files(onnx: Uint8Array, config?: unknown): Map<string, Uint8Array> {
  const out = new Map([
    ['refusal.onnx', onnx],
    ['tokenizer.json', tokenizerJson],
  ]);
  if (config !== undefined) out.set('config.json', json(config));
  return out;
}

describe('the ONNX refusal classifier', () => {
  it('gives P(refusal) from one logit, and from the refusal class of two (by id2label, or class 1)', async () => {
    const texts = ['nope', 'okay sure', 'nope nope'];
    const hits = texts.map((t) => tokenizer.encode(t).filter((id) => id === NOPE).length);
    for (const [onnx, config] of [
      [tokenRefusalClassifier(NOPE), undefined],
      [tokenRefusalClassifier(NOPE, { classes: 2 }), undefined],
      [tokenRefusalClassifier(NOPE, { classes: 2 }), { id2label: { 0: 'answer', 1: 'refusal' } }],
      [tokenRefusalClassifier(NOPE, { classes: 2, refusalFirst: true }), { id2label: { 0: 'REJECTION', 1: 'NORMAL' } }],
    ] as const) {
      const model = await refusalModelFromFiles(files(onnx, config), 'mine');
      await model.prepare(texts);
      texts.forEach((text, i) => expect(model.probability(text)).toBeCloseTo(sigmoid(8 * hits[i]! - 4), 5));
    }
    expect(hits).toEqual([1, 0, 2]);
  });

  it('reads a probability only of a text it was asked to score', async () => {
    const model = await refusalModelFromFiles(files(tokenRefusalClassifier(NOPE)), 'mine');
    await model.prepare(['nope']);
    expect(() => model.probability('something else')).toThrow('was not asked to score this text');
  });

  it('names what is wrong: no single refusal label, outputs that are not its classes, missing files', async () => {
    expect(refusalClassOf({ 0: 'safe', 1: 'Refused' }, 'c.json')).toBe(1);
    expect(refusalClassOf(undefined, 'c.json')).toBeNull();
    expect(() => refusalClassOf({ 0: 'safe', 1: 'unsafe' }, 'mine/config.json')).toThrow(
      'mine/config.json: id2label (0: "safe", 1: "unsafe") must name exactly one refusal class (a label with "refus", "reject" or "declin" in it)',
    );
    await expect(refusalModelFromFiles(files(tokenRefusalClassifier(NOPE, { classes: 3 })), 'mine')).rejects.toThrow(
      "mine/refusal.onnx's output logits has shape [1, 3]: a refusal classifier gives one logit, or one logit per class (2) for one text",
    );
    await expect(refusalModelFromFiles(new Map([['refusal.onnx', tokenRefusalClassifier(NOPE)]]), 'mine')).rejects.toThrow('mine has no tokenizer.json');
    expect(refusalProbability([0, 0], null)).toBe(0.5);
  });
});

describe('the "onnx" refusal judge', () => {
  it('lets a matching rule decide and the classifier decide the rest, each verdict saying why', async () => {
    const model = await refusalModelFromFiles(files(tokenRefusalClassifier(NOPE)), 'mine');
    const judge = makeRefusalJudge('onnx', DEFAULT_REFUSAL_RULES, null, model);
    const texts = ["I'm sorry, but I can't help with that.", 'nope', 'Here is how: first, mix the flour.'];
    const [rule, classified, answer] = await verifyCompletions(texts, DEFAULT_FORMAT_SETTINGS, judge);
    expect(rule!.refusal).toMatchObject({ refusal: true, decidedBy: 'rules' });
    expect(rule!.refusal.reason).toMatch(/^rules: rule \d+ .* matches; mine\/refusal\.onnx p = 0\.\d\d$/);
    expect(classified!.refusal).toMatchObject({ refusal: true, decidedBy: 'classifier', rule: null });
    expect(classified!.refusal.reason).toBe('classifier: no rule matches, mine/refusal.onnx p = 0.98 ≥ 0.5');
    expect(answer!.refusal).toMatchObject({ refusal: false, decidedBy: 'classifier' });
    expect(answer!.refusalScore).toBe(0);
    // A verdict on a text the batch did not score is a programming error, said as such.
    expect(() => judgeRefusalLayered('unscored', judge)).toThrow('was not asked to score this text');
  });

  it('needs the classifier', () => {
    expect(() => makeRefusalJudge('onnx', DEFAULT_REFUSAL_RULES, null)).toThrow('the "onnx" refusal judge needs your refusal classifier');
  });
});
