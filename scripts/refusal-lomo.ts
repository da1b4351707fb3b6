// Leave-one-model-out (LOMO) accuracy of the refusal judges on XSTest's completions: for each of
// the three files, fit the classifier on the other two and judge the held-out one with the rules
// alone, the classifier alone and the combined judge. Used to choose the shipped classifier
// (train-refusal-classifier.ts) and to report it (measure-refusal-rules.ts).
import { scoreRefusal } from '../src/rl/refusalClassifier.ts';
import { fitRefusalClassifier, type FitSettings, type LabelledText } from '../src/rl/refusalClassifierTraining.ts';
import { DEFAULT_REFUSAL_RULES } from '../src/rl/refusalRules.ts';
import { verifyCompletion } from '../src/rl/verifiers.ts';
import type { XstestExample } from './xstest-completions.ts';

export interface LomoFold {
  heldOut: string;
  n: number;
  rules: number;
  classifier: number;
  combined: number;
}

export const labelledTexts = (examples: readonly XstestExample[]): LabelledText[] => examples.map((e) => ({ text: e.completion, refusal: e.human, source: e.file, prompt: e.prompt }));

/**
 * One fold per file, for each decision threshold of the classifier (its "threshold": the
 * probability from which it calls a text a refusal, alone and where no rule matches); each
 * accuracy is the share of held-out answers judged as people did.
 */
export function leaveOneModelOutByThreshold(examples: readonly XstestExample[], settings: FitSettings, thresholds: readonly number[]): Map<number, LomoFold[]> {
  const files = [...new Set(examples.map((e) => e.file))];
  const byThreshold = new Map(thresholds.map((t) => [t, [] as LomoFold[]]));
  for (const heldOut of files) {
    const fitted = fitRefusalClassifier(labelledTexts(examples.filter((e) => e.file !== heldOut)), settings);
    const test = examples.filter((e) => e.file === heldOut);
    const share = (judged: (e: XstestExample) => boolean) => test.filter((e) => judged(e) === e.human).length / test.length;
    const rules = share((e) => verifyCompletion(e.completion, undefined, DEFAULT_REFUSAL_RULES).refusal.refusal);
    for (const threshold of thresholds) {
      const classifier = { ...fitted, threshold };
      byThreshold.get(threshold)!.push({
        heldOut,
        n: test.length,
        rules,
        classifier: share((e) => scoreRefusal(classifier, e.completion).refusal),
        combined: share((e) => verifyCompletion(e.completion, undefined, { kind: 'combined', rules: DEFAULT_REFUSAL_RULES, classifier }).refusal.refusal),
      });
    }
  }
  return byThreshold;
}

/** The folds at one threshold. */
export const leaveOneModelOut = (examples: readonly XstestExample[], settings: FitSettings, threshold: number): LomoFold[] =>
  leaveOneModelOutByThreshold(examples, settings, [threshold]).get(threshold)!;

export const meanOf = (folds: readonly LomoFold[], key: 'rules' | 'classifier' | 'combined') => folds.reduce((s, f) => s + f[key], 0) / folds.length;
