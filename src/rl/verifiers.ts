// Both AlphaAlign verifiers on one completion: V_f on the whole text, then V_r on the answer when
// the format holds and on the whole text otherwise (free-form answers, such as XSTest's).
import { DEFAULT_FORMAT_SETTINGS, verifyFormat, type FormatResult, type FormatSettings } from './formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from './refusalRules.ts';
import { judgeRefusal, type RefusalRule, type RefusalVerdict } from './refusalVerifier.ts';

export interface CompletionVerdict {
  /** V_f. */
  formatScore: 0 | 1;
  /** V_r. */
  refusalScore: 0 | 1;
  format: FormatResult;
  refusal: RefusalVerdict;
  /** What V_r read: the answer when the format holds, the whole text otherwise (free-form answers). */
  judged: 'answer' | 'whole_text';
  judgedText: string;
}

export function verifyCompletion(
  text: string,
  formatSettings: FormatSettings = DEFAULT_FORMAT_SETTINGS,
  rules: readonly RefusalRule[] = DEFAULT_REFUSAL_RULES,
): CompletionVerdict {
  const format = verifyFormat(text, formatSettings);
  const judged = format.ok ? 'answer' : 'whole_text';
  const judgedText = format.ok ? format.answer! : text;
  const refusal = judgeRefusal(judgedText, rules);
  return { formatScore: format.ok ? 1 : 0, refusalScore: refusal.refusal ? 1 : 0, format, refusal, judged, judgedText };
}
