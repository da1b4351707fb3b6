// The refusal verifier V_r of AlphaAlign: an ordered list of rules a person can read and edit; the
// first rule that matches is reported with the verdict, so a user sees why an answer counted as a
// refusal. Rules are checked by refusalRuleProblems (for the config layer and the UI); judging
// never throws.


export type RefusalRuleKind = 'prefix' | 'contains' | 'regex';

export const REFUSAL_RULE_KINDS: readonly RefusalRuleKind[] = ['prefix', 'contains', 'regex'];

/**
 * One way to recognise a refusal.
 * - `prefix`: the text starts with the pattern, once leading noise is skipped (LEADING_NOISE).
 * - `contains`: the pattern appears anywhere.
 * - `regex`: a JavaScript regular expression (no flags: case comes from `caseSensitive`) searched
 *   anywhere; `^` is the start of the whole text.
 * Typographic apostrophes (’ ‘ ʼ) in the text, and in prefix and contains patterns, read as '.
 */
export interface RefusalRule {
  pattern: string;
  kind: RefusalRuleKind;
  caseSensitive: boolean;
}

export interface RefusalVerdict {
  refusal: boolean;
  /** The position of the first matching rule in the list; null when none matched. */
  ruleIndex: number | null;
  rule: RefusalRule | null;
}

/**
 * What a prefix rule skips at the start of the text: whitespace, quotation marks, markdown
 * markers (* _ # > ~ ` - +), opening brackets, `$`, and LaTeX command openings such as
 * `\boxed{` (the paper's template asks for `\boxed{Sorry, I can't comply}`). Only characters
 * that carry no words: a prefix never matches after a word.
 */
const LEADING_NOISE = String.raw`(?:[\s"'“”«»*_#>~\x60+\-([{$]|\\[A-Za-z]+\s*\{)*`;

const TYPOGRAPHIC_APOSTROPHES = /[‘’ʼ]/g;

const straightApostrophes = (text: string) => text.replace(TYPOGRAPHIC_APOSTROPHES, "'");

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/**
 * The regular expression a rule stands for, as source and case flag: what the verifier runs and
 * what the TRL/veRL export translates (src/export/pythonRegex.ts), so both judge alike.
 */
export function ruleRegExpSource(rule: RefusalRule): { source: string; ignoreCase: boolean } {
  const ignoreCase = !rule.caseSensitive;
  if (rule.kind === 'regex') return { source: rule.pattern, ignoreCase };
  const literal = escapeRegExp(straightApostrophes(rule.pattern));
  return { source: rule.kind === 'prefix' ? `^${LEADING_NOISE}${literal}` : literal, ignoreCase };
}

/** The rule as a regular expression; null when its regex does not compile. */
function ruleRegExp(rule: RefusalRule): RegExp | null {
  const { source, ignoreCase } = ruleRegExpSource(rule);
  try {
    return new RegExp(source, ignoreCase ? 'i' : '');
  } catch {
    return null;
  }
}

/** V_r on one text: the first rule that matches. A rule that does not compile never matches. */
export function judgeRefusal(text: string, rules: readonly RefusalRule[]): RefusalVerdict {
  const normalised = straightApostrophes(text);
  const index = rules.findIndex((rule) => rule.pattern !== '' && ruleRegExp(rule)?.test(normalised));
  return index < 0 ? { refusal: false, ruleIndex: null, rule: null } : { refusal: true, ruleIndex: index, rule: rules[index]! };
}

export interface RuleProblem {
  /** The rule's position in the list (0-based). */
  index: number;
  message: string;
}

/** Every reason a rule list cannot be used, each naming its rule; empty when it can. */
export function refusalRuleProblems(rules: readonly RefusalRule[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  rules.forEach((rule, index) => {
    const problem = (message: string) => problems.push({ index, message: `rule ${index + 1} (${JSON.stringify(rule.pattern)}): ${message}` });
    if (rule.pattern === '') return problem('the pattern is empty, and an empty pattern would match every answer');
    if (rule.kind !== 'regex') return;
    try {
      // An expression that matches the empty text matches at every position of every text.
      if (new RegExp(rule.pattern, rule.caseSensitive ? '' : 'i').test('')) problem('the regex matches the empty text, so it would call every answer a refusal');
    } catch (error) {
      problem(`the regex does not compile: ${(error as Error).message}`);
    }
  });
  return problems;
}

export class RefusalRulesError extends Error {
  override name = 'RefusalRulesError';
}

/**
 * A rule list from parsed JSON (a file, the config, the UI's import): an array of
 * `{pattern, kind, caseSensitive?}`, `caseSensitive` false when left out. Throws one error that
 * lists every problem, each with its rule number.
 */
export function parseRefusalRules(value: unknown): RefusalRule[] {
  if (!Array.isArray(value)) throw new RefusalRulesError('the rules must be a JSON array of {"pattern", "kind", "caseSensitive"} objects');
  const messages: string[] = [];
  const rules: RefusalRule[] = [];
  value.forEach((item: unknown, i) => {
    const bad = (message: string) => messages.push(`rule ${i + 1}: ${message}`);
    if (!item || typeof item !== 'object' || Array.isArray(item)) return bad('is not an object');
    const { pattern, kind, caseSensitive = false } = item as Record<string, unknown>;
    if (typeof pattern !== 'string') return bad('"pattern" must be a string');
    if (!REFUSAL_RULE_KINDS.includes(kind as RefusalRuleKind)) return bad(`"kind" must be one of ${REFUSAL_RULE_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
    if (typeof caseSensitive !== 'boolean') return bad('"caseSensitive" must be true or false');
    rules.push({ pattern, kind: kind as RefusalRuleKind, caseSensitive });
  });
  if (messages.length === 0) messages.push(...refusalRuleProblems(rules).map((p) => p.message));
  if (messages.length > 0) throw new RefusalRulesError(messages.join('; '));
  return rules;
}
