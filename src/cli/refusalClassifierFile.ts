// The refusal classifier on disk, for the command line: the copy the page serves
// (public/refusal-classifier.json), or another file in its format (refusalClassifier.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RlConfig } from '../rl/config.ts';
import { parseRefusalClassifier, REFUSAL_CLASSIFIER_FILE, type RefusalClassifier } from '../rl/refusalClassifier.ts';

/** Where the shipped classifier lies in a checkout. */
export const SHIPPED_REFUSAL_CLASSIFIER = fileURLToPath(new URL(`../../public/${REFUSAL_CLASSIFIER_FILE}`, import.meta.url));

/** The classifier in a JSON file; throws RefusalClassifierError (or a read error) naming the file. */
export function readRefusalClassifier(path: string = SHIPPED_REFUSAL_CLASSIFIER): RefusalClassifier {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`the refusal classifier ${path} cannot be read; restore it (git checkout public/${REFUSAL_CLASSIFIER_FILE}) or rebuild it with scripts/train-refusal-classifier.ts`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the refusal classifier ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseRefusalClassifier(value, path);
}

/** The shipped classifier when the config's reward or evaluation judges with it, else null. */
export function refusalClassifierFor(config: Pick<RlConfig, 'reward_judge' | 'eval_judge'>): RefusalClassifier | null {
  return config.reward_judge === 'combined' || config.eval_judge === 'combined' ? readRefusalClassifier() : null;
}
