// Both AlphaAlign verifiers on one completion: V_f on the whole text, then V_r on the answer when
// the format holds and on the whole text otherwise (free-form answers, such as XSTest's). V_r is
// the refusal judge: the rules alone, or rules and classifier (refusalJudge.ts).
import { DEFAULT_FORMAT_SETTINGS, verifyFormat, type FormatResult, type FormatSettings } from './formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from './refusalRules.ts';
import { judgeRefusalLayered, prepareRefusalJudge, type JudgedRefusal, type RefusalJudge } from './refusalJudge.ts';
import { type RefusalRule } from './refusalVerifier.ts';

export interface CompletionVerdict {
  /** V_f. */
  formatScore: 0 | 1;
  /** V_r. */
  refusalScore: 0 | 1;
  format: FormatResult;
  refusal: JudgedRefusal;
  /** What V_r read: the answer when the format holds, the whole text otherwise (free-form answers). */
  judged: 'answer' | 'whole_text';
  judgedText: string;
}

export function verifyCompletion(
  text: string,
  formatSettings: FormatSettings = DEFAULT_FORMAT_SETTINGS,
  /** The judge, or a rule list (the "rules" judge). */
  judge: RefusalJudge | readonly RefusalRule[] = DEFAULT_REFUSAL_RULES,
): CompletionVerdict {
  const format = verifyFormat(text, formatSettings);
  const judged = format.ok ? 'answer' : 'whole_text';
  const judgedText = format.ok ? format.answer! : text;
  const refusal = judgeRefusalLayered(judgedText, 'kind' in judge ? judge : { kind: 'rules', rules: judge });
  return { formatScore: format.ok ? 1 : 0, refusalScore: refusal.refusal ? 1 : 0, format, refusal, judged, judgedText };
}

/** verifyCompletion on a batch, the judge's model (the "onnx" judge's) having scored the judged texts first. */
export async function verifyCompletions(texts: readonly string[], formatSettings: FormatSettings, judge: RefusalJudge): Promise<CompletionVerdict[]> {
  await prepareRefusalJudge(
    judge,
    texts.map((text) => {
      const format = verifyFormat(text, formatSettings);
      return format.ok ? format.answer! : text;
    }),
  );
  return texts.map((text) => verifyCompletion(text, formatSettings, judge));
}
