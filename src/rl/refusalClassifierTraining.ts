// Fitting the refusal classifier of refusalClassifier.ts: a vocabulary of refusal language, then
// L2-regularised logistic regression by L-BFGS, deterministic (no random start, no sampling), so
// the same data always gives the same file.
//
// The vocabulary is what keeps the classifier off the prompts' topics. Answers of different
// models to the same prompt share its topic words ("Python", "passport") whether they refuse or
// not; what differs between a refusal and a compliance to the same prompt is how they answer. So
// a feature is kept only when, over pairs of answers to one prompt that people labelled
// differently, it sits in the refusal and not the compliance clearly more often than the other
// way round (or the reverse): a sign test over matched pairs. Leave-one-model-out accuracy cannot
// see topic words (all three files answer the same prompts), so this is decided by design.
import {
  featureValue,
  REFUSAL_CLASSIFIER_FORMAT,
  REFUSAL_CLASSIFIER_VERSION,
  refusalFeatures,
  type RefusalClassifier,
  type RefusalClassifierTraining,
  type RefusalFeatureSettings,
} from './refusalClassifier.ts';

export interface LabelledText {
  text: string;
  refusal: boolean;
  /** Which model's answers it is (one file of XSTest's completions). */
  source: string;
  /** The prompt it answers: answers to the same prompt are compared with each other. */
  prompt: string;
}

export interface FitSettings {
  features: RefusalFeatureSettings;
  l2: number;
  /**
   * A feature enters the vocabulary only when it appears in at least this many texts of each of
   * at least two sources: wording that more than one model uses, not one model's habit.
   */
  minDocsPerSource: number;
  /**
   * Over pairs of differently labelled answers to one prompt: |pairs where only the refusal has
   * the feature − pairs where only the compliance has it| must be at least this.
   */
  minPairMargin: number;
}

/** Digits kept of each stored weight: the file stays small, and it is the stored value that scores. */
const WEIGHT_DIGITS = 6;

/** The features shared by at least two sources, each seen in ≥ minDocs of that source's texts. */
export function sharedVocabulary(featureLists: readonly string[][], sources: readonly string[], minDocs: number): string[] {
  const perSource = new Map<string, Map<string, number>>();
  featureLists.forEach((features, i) => {
    const counts = perSource.get(sources[i]!) ?? perSource.set(sources[i]!, new Map()).get(sources[i]!)!;
    for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  });
  const qualifying = new Map<string, number>();
  for (const counts of perSource.values()) {
    for (const [f, n] of counts) if (n >= minDocs) qualifying.set(f, (qualifying.get(f) ?? 0) + 1);
  }
  return [...qualifying].filter(([, k]) => k >= Math.min(2, perSource.size)).map(([f]) => f).sort();
}

/** The features that tell a refusal from a compliance to the same prompt, by at least `margin` pairs. */
export function contrastiveVocabulary(featureLists: readonly string[][], examples: readonly LabelledText[], margin: number): Set<string> {
  const byPrompt = new Map<string, number[]>();
  examples.forEach((e, i) => byPrompt.set(e.prompt, [...(byPrompt.get(e.prompt) ?? []), i]));
  const lean = new Map<string, number>();
  for (const group of byPrompt.values()) {
    for (const r of group) {
      if (!examples[r]!.refusal) continue;
      for (const c of group) {
        if (examples[c]!.refusal) continue;
        const inRefusal = new Set(featureLists[r]);
        const inCompliance = new Set(featureLists[c]);
        for (const f of inRefusal) if (!inCompliance.has(f)) lean.set(f, (lean.get(f) ?? 0) + 1);
        for (const f of inCompliance) if (!inRefusal.has(f)) lean.set(f, (lean.get(f) ?? 0) - 1);
      }
    }
  }
  return new Set([...lean].filter(([, d]) => Math.abs(d) >= margin).map(([f]) => f));
}

/** Mean log-loss + (l2/2)·|w|² and its gradient; the last coordinate is the unpenalised bias. */
function objective(rows: readonly Int32Array[], x: Float64Array, y: Float64Array, l2: number, theta: Float64Array, grad: Float64Array): number {
  const d = theta.length - 1;
  const n = rows.length;
  grad.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[d]!;
    const row = rows[i]!;
    for (let k = 0; k < row.length; k++) z += theta[row[k]!]! * x[i]!;
    // log(1 + e^z) − y·z, stably.
    loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
    const r = (1 / (1 + Math.exp(-z)) - y[i]!) / n;
    for (let k = 0; k < row.length; k++) grad[row[k]!]! += r * x[i]!;
    grad[d]! += r;
  }
  loss /= n;
  for (let j = 0; j < d; j++) {
    loss += 0.5 * l2 * theta[j]! ** 2;
    grad[j]! += l2 * theta[j]!;
  }
  return loss;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

/** L-BFGS (memory 10, backtracking Armijo line search) from zero, until the gradient is flat. */
function minimise(rows: readonly Int32Array[], x: Float64Array, y: Float64Array, l2: number, dims: number): Float64Array {
  const theta = new Float64Array(dims);
  let grad = new Float64Array(dims);
  let loss = objective(rows, x, y, l2, theta, grad);
  const history: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  for (let iter = 0; iter < 500 && Math.sqrt(dot(grad, grad)) > 1e-7; iter++) {
    // Two-loop recursion: direction = −H·grad.
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let k = history.length - 1; k >= 0; k--) {
      const h = history[k]!;
      const a = h.rho * dot(h.s, q);
      alphas[k] = a;
      for (let j = 0; j < dims; j++) q[j]! -= a * h.y[j]!;
    }
    const last = history.at(-1);
    const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1;
    for (let j = 0; j < dims; j++) q[j]! *= gamma;
    for (let k = 0; k < history.length; k++) {
      const h = history[k]!;
      const b = h.rho * dot(h.y, q);
      for (let j = 0; j < dims; j++) q[j]! += h.s[j]! * (alphas[k]! - b);
    }
    const direction = q.map((v) => -v);
    const slope = dot(direction, grad);
    let step = 1;
    const next = new Float64Array(dims);
    const nextGrad = new Float64Array(dims);
    let nextLoss = Infinity;
    for (let tries = 0; tries < 40; tries++, step /= 2) {
      for (let j = 0; j < dims; j++) next[j] = theta[j]! + step * direction[j]!;
      nextLoss = objective(rows, x, y, l2, next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
    }
    if (!(nextLoss < loss)) break;
    const s = next.map((v, j) => v - theta[j]!);
    const yk = nextGrad.map((v, j) => v - grad[j]!);
    const sy = dot(s, yk);
    if (sy > 1e-12) {
      history.push({ s, y: yk, rho: 1 / sy });
      if (history.length > 10) history.shift();
    }
    theta.set(next);
    grad = nextGrad;
    loss = nextLoss;
  }
  return theta;
}

/** A classifier fitted to the texts, in the shipped file's shape. */
export function fitRefusalClassifier(examples: readonly LabelledText[], settings: FitSettings, lomoAccuracy: Record<string, number> = {}): RefusalClassifier {
  const featureLists = examples.map((e) => refusalFeatures(e.text, settings.features));
  const contrastive = contrastiveVocabulary(featureLists, examples, settings.minPairMargin);
  const vocabulary = sharedVocabulary(
    featureLists,
    examples.map((e) => e.source),
    settings.minDocsPerSource,
  ).filter((f) => contrastive.has(f));
  const index = new Map(vocabulary.map((f, j) => [f, j]));
  const rows = featureLists.map((features) => Int32Array.from(features.flatMap((f) => (index.has(f) ? [index.get(f)!] : []))));
  const x = Float64Array.from(featureLists, (features) => featureValue(features.length, settings.features.scaling));
  const y = Float64Array.from(examples, (e) => (e.refusal ? 1 : 0));
  const theta = minimise(rows, x, y, settings.l2, vocabulary.length + 1);
  const round = (v: number) => Number(v.toPrecision(WEIGHT_DIGITS));
  const weights: Record<string, number> = {};
  vocabulary.forEach((f, j) => (weights[f] = round(theta[j]!)));
  const training: RefusalClassifierTraining = {
    files: [...new Set(examples.map((e) => e.source))],
    l2: settings.l2,
    min_docs_per_file: settings.minDocsPerSource,
    min_pair_margin: settings.minPairMargin,
    lomo_accuracy: lomoAccuracy,
  };
  return {
    format: REFUSAL_CLASSIFIER_FORMAT,
    version: REFUSAL_CLASSIFIER_VERSION,
    features: settings.features,
    bias: round(theta[vocabulary.length]!),
    weights,
    threshold: 0.5,
    training,
  };
}
