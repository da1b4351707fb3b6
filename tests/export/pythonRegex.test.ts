// The rules' JavaScript regexes, translated for Python's re, must match exactly the texts the lab's
// verifier matches: each case runs through an export's package in python3 and through
// judgeRefusal, including the places where the two engines differ if translated naively.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseRlConfig } from '../../src/rl/config.ts';
import { judgeRefusal, type RefusalRule } from '../../src/rl/refusalVerifier.ts';
import { pythonPattern, UntranslatableRegexError } from '../../src/export/pythonRegex.ts';
import { ExportError } from '../../src/export/exportTypes.ts';
import { verifierSettings } from '../../src/export/verifierSettings.ts';
import { runPython, writeExport } from './python.ts';

const regex = (pattern: string, caseSensitive = false): RefusalRule => ({ pattern, kind: 'regex', caseSensitive });

/** [rule, texts]: every text is judged by both sides. */
const CASES: [RefusalRule, string[]][] = [
  // Case flags: JavaScript folds by toUpperCase and never maps a non-ASCII letter onto ASCII;
  // Python's re.IGNORECASE would also fold ſ onto s, K (Kelvin) onto k, ẞ onto ß.
  [regex('sorry'), ['SORRY', 'Sorry', 'ſorry', 'SORRſ']],
  [regex('sorry', true), ['sorry', 'Sorry']],
  [regex('ok'), ['OK', 'o\u212a', 'oK']],
  [regex('straße'), ['STRASSE', 'STRAẞE', 'straße', 'Straße']],
  [regex('café'), ['CAFÉ', 'Café', 'cafe']],
  [regex('σ'), ['Σ', 'ς', 'σ']],
  [regex('µ'), ['μ', 'Μ', 'µ']],
  [regex('[a-z]{2}x'), ['Kx', '\u212a\u212ax', 'ABX', 'ſſx']],
  [regex('[^a-z]x'), ['Ax', '1x', '\u212ax']],
  [regex('i'), ['I', 'ı', 'İ']],
  // Unicode: \w, \d, \b are ASCII in JavaScript without u; \s and . have their own sets.
  [regex(String.raw`^\w+$`), ['abc_1', 'café', 'naïve']],
  [regex(String.raw`\bcan\b`), ['écan', 'I can.', 'scan']],
  [regex(String.raw`\d`), ['٣', '3', '²']],
  [regex(String.raw`a\sb`), ['a\u00a0b', 'a\u2028b', 'a\x1cb', 'a\u0085b', 'a\ufeffb', 'a\u200bb']],
  [regex('a.b'), ['a\rb', 'a\u2028b', 'a\u0085b', 'a\nb', 'a😀b', 'a\u00e9b']],
  [regex('^.{2}x'), ['😀x', 'ab x', 'abx']],
  [regex(String.raw`^\W*no\b`), ['😀 no', '« no »', 'No way', 'nope']],
  [regex('[😀]'), ['\ud83d', '\ude00', 'x']],
  [regex(String.raw`\ud83d\ude00!`), ['😀!', '😀']],
  // Quotes and backslashes in a user's rule, and escapes of every kind.
  [regex(String.raw`he said "no" \\ and 'yes'`), [String.raw`he said "no" \ and 'yes'`, 'he said "no" and \'yes\'']],
  [{ pattern: String.raw`C:\path "x" 'y' """`, kind: 'contains', caseSensitive: true }, [String.raw`at C:\path "x" 'y' """ end`, 'C:path']],
  [{ pattern: "I can't", kind: 'prefix', caseSensitive: false }, ['**I can’t** do that', '\\boxed{I CAN\u02bcT', 'Well, I can\'t']],
  [regex(String.raw`\x41\u0042\cJ\0\101\8`), ['AB\n\0A8', 'AB\nA8']],
  [regex(String.raw`\/\.\-\a\p{L}`), ['/.-ap{L}', '/.-aé']],
  // Lookbehind: fixed widths, alternatives of differing widths, negative ones.
  [regex('(?<=I )cannot'), ['I cannot', 'we cannot', 'i cannot']],
  [regex('(?<!not )sorry'), ['not sorry', 'so sorry']],
  [regex('(?<=a|bc)d'), ['ad', 'bcd', 'cd']],
  [regex('(?<!a|bc)d'), ['ad', 'bcd', 'xd', 'd']],
  [regex('(?<=(?:ab|cd))e'), ['abe', 'cde', 'ace']],
  // $ is the end of the text only; Annex B literals; lazy quantifiers; named groups.
  [regex('done$'), ['done', 'done\n', 'done.']],
  [regex('a{,3}'), ['a{,3}', 'aaa']],
  [regex('x]{'), ['x]{', 'x]']],
  [regex('a+?b'), ['aab', 'b']],
  [regex('(?<w>sorry)+'), ['sorrysorry', 'sorr']],
  [regex(String.raw`[\w-]x`), ['-x', 'ax', '.x']],
  [regex(String.raw`[\b]`), ['\b', 'b']],
  [regex(String.raw`\1`), ['\x01', '1']],
];

describe('JavaScript rules in Python', () => {
  it('matches exactly what the lab matches, case by case', () => {
    const rules = CASES.map(([rule]) => rule);
    const entry = writeExport('trl', parseRlConfig({ refusal_rules: rules, eval_judge: 'rules' }), null);
    const calls = CASES.flatMap(([, texts], i) => texts.map((text) => ({ call: 'rule_matches', args: [i, text] })));
    const python = runPython(entry, calls);
    const expected = CASES.flatMap(([rule, texts]) => texts.map((text) => judgeRefusal(text, [rule]).refusal));
    const labelled = (values: unknown[]) => values.map((v, k) => `${JSON.stringify(calls[k]!.args)} ${String(v)}`);
    expect(labelled(python)).toEqual(labelled(expected));
    // The cases are not all alike: both verdicts occur, and the naive readings would differ.
    expect(expected.filter(Boolean).length).toBeGreaterThan(20);
    expect(expected.filter((v) => !v).length).toBeGreaterThan(20);
  });

  it('compiles every translation in Python under re.ASCII', () => {
    const patterns = CASES.map(([rule]) => pythonPattern(rule.kind === 'regex' ? rule.pattern : 'x', !rule.caseSensitive));
    const result = spawnSync('python3', ['-c', 'import json, re, sys\nfor p in json.load(sys.stdin): re.compile(p, re.ASCII)'], { input: JSON.stringify(patterns), encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('refuses, by name, what Python cannot do exactly', () => {
    const refused: [string, RegExp][] = [
      [String.raw`(a)\1`, /backreference \\1/],
      [String.raw`(?<q>a)\k<q>`, /named backreference/],
      ['(?<=a+)b', /lookbehind of variable width/],
      ['(?<=a|b+)c', /lookbehind of variable width/],
      ['(?=a)*b', /quantified lookahead/],
      ['(?i:a)b', /group syntax "\(\?i"/],
    ];
    for (const [pattern, message] of refused) {
      expect(() => pythonPattern(pattern, true), pattern).toThrow(UntranslatableRegexError);
      expect(() => pythonPattern(pattern, true), pattern).toThrow(message);
    }
  });

  it('names the rule an export cannot translate, and the way out', () => {
    const config = parseRlConfig({ refusal_rules: [regex('sorry'), regex(String.raw`(no)\s\1`)], eval_judge: 'rules' });
    expect(() => verifierSettings(config, null)).toThrow(ExportError);
    expect(() => verifierSettings(config, null)).toThrow(/refusal rule 2 \("\(no\)\\\\s\\\\1"\): .*backreference.*rewrite the rule/);
  });
});
