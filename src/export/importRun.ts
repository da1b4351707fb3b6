// Back from TRL or veRL: the metrics a scaled-up run logged, read as a lab run's StepMetrics so the
// charts show it beside the lab's own. TRL writes trainer_state.json (its log_history, one entry
// per logging step); veRL a JSON line per step, {"step", "data": {...}} (or the metrics flat).
// Names are mapped as below; a lab metric the target does not log is null (no line is drawn), and
// the target's other metrics are listed, not dropped silently.
import { METRIC_NAMES, type MetricName, type StepMetrics } from '../rl/metrics.ts';

export type ImportSource = 'trl' | 'verl';

/** A step of an imported run: the lab's metric names, null where the source logs no counterpart. */
export type ImportedStep = { step: number } & { [K in Exclude<MetricName, 'step'>]: number | null };

export interface ImportedRun {
  source: ImportSource;
  steps: ImportedStep[];
  /** The source's metric names that have no lab counterpart (shown, so nothing vanishes unsaid). */
  unmapped: string[];
}

export class RunImportError extends Error {
  override name = 'RunImportError';
}

/**
 * TRL's names (GRPOTrainer's log, trl/trainer/grpo_trainer.py) for the lab's. The exported reward
 * functions are named so that their means are the lab's rewards and rates (trl.ts).
 */
export const TRL_METRICS: Readonly<Record<string, Exclude<MetricName, 'step'>>> = {
  reward: 'reward',
  reward_std: 'reward_std',
  'rewards/safety_reward/mean': 'rewards/safety',
  'rewards/helpfulness_reward/mean': 'rewards/helpfulness',
  'rewards/refusal_rate_harmful/mean': 'refusal_rate/harmful',
  'rewards/over_refusal_rate_benign/mean': 'over_refusal_rate/benign',
  'rewards/format_rate/mean': 'format_rate',
  kl: 'kl',
  entropy: 'entropy',
  'clip_ratio/region_mean': 'clip_ratio',
  'completions/mean_length': 'completions/mean_length',
  'completions/clipped_ratio': 'completions/clipped_ratio',
  frac_reward_zero_std: 'frac_reward_zero_std',
  grad_norm: 'grad_norm',
  learning_rate: 'learning_rate',
};

/**
 * veRL's names (verl/trainer/ppo/metric_utils.py and the actor's update metrics) for the lab's.
 * critic/score/mean is the reward before any KL-in-reward (the export keeps the KL in the loss);
 * actor/kl_loss is the low_var_kl (k3) estimate, as the lab's kl; perf/throughput is per GPU.
 */
export const VERL_METRICS: Readonly<Record<string, Exclude<MetricName, 'step'>>> = {
  'critic/score/mean': 'reward',
  'actor/entropy': 'entropy',
  'actor/kl_loss': 'kl',
  'actor/pg_clipfrac': 'clip_ratio',
  'actor/grad_norm': 'grad_norm',
  'actor/lr': 'learning_rate',
  'response_length/mean': 'completions/mean_length',
  'response_length/clip_ratio': 'completions/clipped_ratio',
  'timing_s/step': 'step_time_s',
  'perf/throughput': 'tokens_per_second',
};

const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

function emptyStep(step: number): ImportedStep {
  const entries = METRIC_NAMES.filter((n) => n !== 'step').map((n) => [n, null]);
  return { step, ...Object.fromEntries(entries) } as ImportedStep;
}

/** Metrics of one step by the source's names into the lab's; the names it does not know go to `unmapped`. */
function mapStep(step: number, values: Record<string, unknown>, names: Readonly<Record<string, Exclude<MetricName, 'step'>>>, unmapped: Set<string>, into = emptyStep(step)): ImportedStep {
  for (const [key, value] of Object.entries(values)) {
    if (key === 'step') continue;
    const name = Object.hasOwn(names, key) ? names[key] : undefined;
    if (name && typeof value === 'number' && Number.isFinite(value)) into[name] = value;
    else if (!name) unmapped.add(key);
  }
  return into;
}

/** TRL's trainer_state.json: the training entries of its log_history (evaluation entries, eval_*, are listed as unmapped). */
export function importTrlTrainerState(text: string, fileName: string): ImportedRun {
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new RunImportError(`${fileName} is not valid JSON (${(error as Error).message}): pick the trainer_state.json TRL writes in its output or checkpoint folder`);
  }
  const history = isRecord(state) ? state.log_history : undefined;
  if (!Array.isArray(history)) throw new RunImportError(`${fileName} has no "log_history" list: pick the trainer_state.json TRL writes in its output or checkpoint folder`);
  const unmapped = new Set<string>();
  const byStep = new Map<number, ImportedStep>();
  for (const entry of history) {
    if (!isRecord(entry) || typeof entry.step !== 'number') continue;
    // An evaluation entry and the end-of-training summary carry no training metric of a step.
    if (Object.keys(entry).some((k) => k.startsWith('eval_') || k === 'train_runtime')) {
      for (const key of Object.keys(entry)) if (key !== 'step' && key !== 'epoch') unmapped.add(key);
      continue;
    }
    byStep.set(entry.step, mapStep(entry.step, entry, TRL_METRICS, unmapped, byStep.get(entry.step)));
  }
  unmapped.delete('epoch');
  return finish('trl', byStep, unmapped, fileName);
}

/** veRL's metrics, one JSON object per line: {"step": N, "data": {...}} or {"step": N, ...metrics}. */
export function importVerlMetrics(text: string, fileName: string): ImportedRun {
  const unmapped = new Set<string>();
  const byStep = new Map<number, ImportedStep>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RunImportError(`${fileName}:${i + 1} is not a JSON line: pick the JSONL of veRL's metrics ({"step": N, "data": {...}} per line)`);
    }
    if (!isRecord(value) || typeof value.step !== 'number') throw new RunImportError(`${fileName}:${i + 1} has no "step": pick the JSONL of veRL's metrics ({"step": N, "data": {...}} per line)`);
    const metrics = isRecord(value.data) ? value.data : value;
    byStep.set(value.step, mapStep(value.step, metrics, VERL_METRICS, unmapped, byStep.get(value.step)));
  });
  return finish('verl', byStep, unmapped, fileName);
}

function finish(source: ImportSource, byStep: Map<number, ImportedStep>, unmapped: Set<string>, fileName: string): ImportedRun {
  const steps = [...byStep.values()].sort((a, b) => a.step - b.step);
  if (steps.length === 0) throw new RunImportError(`${fileName} holds no training step's metrics`);
  return { source, steps, unmapped: [...unmapped].sort() };
}

/** Either format, told apart by its content: a JSON object with log_history is TRL's, JSON lines veRL's. */
export function importRunLog(text: string, fileName: string): ImportedRun {
  return text.trimStart().startsWith('{') && /"log_history"\s*:/.test(text) ? importTrlTrainerState(text, fileName) : importVerlMetrics(text, fileName);
}

/**
 * The steps as the lab's StepMetrics, for the stores and charts: a metric the source does not log
 * stays null, which the charts leave undrawn (StepMetrics declares most as numbers because the
 * lab always logs them; an imported run is the one place they may be missing).
 */
export function asStepMetrics(steps: readonly ImportedStep[]): StepMetrics[] {
  return steps as unknown as StepMetrics[];
}
