// Trains the refusal classifier shipped as public/refusal-classifier.json (its format is specified
// at the top of src/rl/refusalClassifier.ts). The settings are chosen by leave-one-model-out
// accuracy of the combined judge on XSTest's three completion files (fit on two, judge the third),
// never by fit: of the settings within SELECTION_SLACK of the best mean, the one with the fewest
// features wins (fewer features, less to memorise), then the one whose threshold is nearest 0.5.
// The winner is then fitted on all three files.
//
//   npx tsx scripts/train-refusal-classifier.ts [--out public/refusal-classifier.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { REFUSAL_CLASSIFIER_FILE } from '../src/rl/refusalClassifier.ts';
import { fitRefusalClassifier, type FitSettings } from '../src/rl/refusalClassifierTraining.ts';
import { labelledTexts, leaveOneModelOutByThreshold, meanOf } from './refusal-lomo.ts';
import { loadXstestCompletions, XSTEST_COMPLETION_FILES } from './xstest-completions.ts';

/** Settings within this much mean LOMO accuracy of the best count as equally good. */
const SELECTION_SLACK = 0.005;

/** The classifier's decision thresholds tried: where no rule matches, it calls a refusal from this probability. */
const THRESHOLDS = [0.5, 0.6, 0.7, 0.8];

const GRID: FitSettings[] = [];
for (const word_ngrams of [
  [1, 1],
  [1, 2],
  [1, 3],
] as [number, number][]) {
  for (const max_tokens of [0, 64]) {
    for (const l2 of [3e-6, 1e-5, 3e-5, 1e-4, 3e-4]) {
      for (const minPairMargin of [3, 6]) GRID.push({ features: { word_ngrams, max_tokens, scaling: 'l2' }, l2, minDocsPerSource: 2, minPairMargin });
    }
  }
}

const { values } = parseArgs({ options: { out: { type: 'string', default: `public/${REFUSAL_CLASSIFIER_FILE}` } }, strict: true });
const examples = XSTEST_COMPLETION_FILES.flatMap((f) => loadXstestCompletions(f));
const pct = (x: number) => (100 * x).toFixed(1);

console.log('| word n-grams | max tokens | l2 | pair margin | threshold | features | classifier LOMO % | combined LOMO % (by held-out file) |');
console.log('| --- | --: | --: | --: | --: | --: | --: | --- |');
const scored = GRID.flatMap((settings) => {
  const features = Object.keys(fitRefusalClassifier(labelledTexts(examples), settings).weights).length;
  const f = settings.features;
  return [...leaveOneModelOutByThreshold(examples, settings, THRESHOLDS)].map(([threshold, folds]) => {
    const combined = meanOf(folds, 'combined');
    console.log(
      `| ${f.word_ngrams.join('–')} | ${f.max_tokens || 'all'} | ${settings.l2} | ${settings.minPairMargin} | ${threshold} | ${features} | ${pct(meanOf(folds, 'classifier'))} | ${pct(combined)} (${folds.map((x) => `${x.heldOut} ${pct(x.combined)}`).join(', ')}) |`,
    );
    return { settings, threshold, folds, features, combined };
  });
});

const best = Math.max(...scored.map((s) => s.combined));
const chosen = scored.filter((s) => s.combined >= best - SELECTION_SLACK).sort((a, b) => a.features - b.features || Math.abs(a.threshold - 0.5) - Math.abs(b.threshold - 0.5))[0]!;
const lomo = Object.fromEntries(chosen.folds.map((f) => [f.heldOut, Number(f.combined.toFixed(4))]));
const classifier = { ...fitRefusalClassifier(labelledTexts(examples), chosen.settings, lomo), threshold: chosen.threshold };
writeFileSync(values.out, `${JSON.stringify(classifier, null, 1)}\n`);
console.log(
  `\nChosen: ${JSON.stringify(chosen.settings)}, threshold ${chosen.threshold}, ${chosen.features} features, combined LOMO ${pct(chosen.combined)} % (best ${pct(best)} %). Wrote ${values.out}.`,
);
