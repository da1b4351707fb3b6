// The format verifier V_f of AlphaAlign: the completion reasons inside <safety_reasoning> tags and
// then answers inside <answer> tags. Its settings are a plain object a person edits like a rule,
// checked by formatSettingsProblems (for the config layer and the UI) rather than by exceptions
// thrown while rewards are computed.

export interface FormatSettings {
  /** The tag around the safety reasoning, without angle brackets. */
  reasoningTag: string;
  /** The tag around the answer, without angle brackets. */
  answerTag: string;
  /** Whether a reasoning pair with nothing but whitespace inside still counts. */
  allowEmptyReasoning: boolean;
}

export const DEFAULT_FORMAT_SETTINGS: FormatSettings = {
  reasoningTag: 'safety_reasoning',
  answerTag: 'answer',
  allowEmptyReasoning: false,
};

export type FormatFailure = 'missing_reasoning' | 'missing_answer' | 'wrong_order' | 'empty_reasoning';

export interface FormatResult {
  /** Both pairs present, the answer after the reasoning, the reasoning not empty (unless allowed). */
  ok: boolean;
  failure: FormatFailure | null;
  /** Why the format fails, in words; null when it holds. */
  reason: string | null;
  /** The text inside the first reasoning pair, trimmed; null when there is no pair. */
  reasoning: string | null;
  /**
   * The text inside the first answer pair after the reasoning, trimmed. When the format fails for
   * want of reasoning or by order, the first answer pair anywhere, so it can still be shown.
   */
  answer: string | null;
}

const TAG_NAME = /^[A-Za-z][\w.:-]*$/;

/** Why these settings cannot be used (empty when they can). */
export function formatSettingsProblems(settings: FormatSettings): string[] {
  const problems: string[] = [];
  for (const [field, tag] of [['reasoningTag', settings.reasoningTag], ['answerTag', settings.answerTag]] as const) {
    if (!TAG_NAME.test(tag)) problems.push(`${field} "${tag}" is not a tag name: a letter, then letters, digits, _ . : or -, without < >`);
  }
  if (settings.reasoningTag === settings.answerTag) problems.push(`reasoningTag and answerTag are both "${settings.answerTag}": they must differ`);
  return problems;
}

type Pair = { closeStart: number; end: number; inner: string };

/** The first `<tag>…</tag>` that opens at or after `from`: null when it never opens, 'unclosed' when it never closes. */
function findPair(text: string, tag: string, from: number): Pair | 'unclosed' | null {
  const openTag = `<${tag}>`;
  const closeTag = `</${tag}>`;
  const open = text.indexOf(openTag, from);
  if (open < 0) return null;
  const closeStart = text.indexOf(closeTag, open + openTag.length);
  if (closeStart < 0) return 'unclosed';
  return { closeStart, end: closeStart + closeTag.length, inner: text.slice(open + openTag.length, closeStart).trim() };
}

const innerOf = (pair: Pair | 'unclosed' | null) => (pair && pair !== 'unclosed' ? pair.inner : null);

export function verifyFormat(text: string, settings: FormatSettings = DEFAULT_FORMAT_SETTINGS): FormatResult {
  const { reasoningTag: r, answerTag: a } = settings;
  const reasoningPair = findPair(text, r, 0);
  const reasoning = innerOf(reasoningPair);
  if (reasoningPair === null || reasoningPair === 'unclosed') {
    // Without reasoning the format fails, but an answer found anywhere is still shown.
    const reason = reasoningPair === null ? `no <${r}> tag` : `<${r}> is never closed by </${r}>`;
    return { ok: false, failure: 'missing_reasoning', reason, reasoning, answer: innerOf(findPair(text, a, 0)) };
  }
  // The answer that counts opens after the reasoning closes.
  const answerPair = findPair(text, a, reasoningPair.end);
  if (answerPair === null || answerPair === 'unclosed') {
    const fail = (failure: FormatFailure, reason: string, answer: string | null): FormatResult => ({ ok: false, failure, reason, reasoning, answer });
    if (text.slice(0, reasoningPair.closeStart).includes(`<${a}>`)) {
      return fail('wrong_order', `the <${a}> pair must come after </${r}>, not before or inside it`, innerOf(findPair(text, a, 0)));
    }
    return answerPair === null
      ? fail('missing_answer', `no <${a}> tag after </${r}>`, null)
      : fail('missing_answer', `<${a}> is never closed by </${a}>`, null);
  }
  if (!settings.allowEmptyReasoning && reasoningPair.inner === '') {
    return { ok: false, failure: 'empty_reasoning', reason: `the <${r}> pair is empty`, reasoning, answer: answerPair.inner };
  }
  return { ok: true, failure: null, reason: null, reasoning, answer: answerPair.inner };
}
