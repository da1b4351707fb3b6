// A checkpoint zip added to compare, not loaded as the model: its run card (alphaalign_run.json)
// carries the run's metrics and evaluations, which become a run kept in this browser, charted
// beside the others (an SFT baseline's card has no RL steps, only its evaluation). Only the card
// is inflated, so a checkpoint of a large model costs the page its reading, not its weights.
import { unzipSync } from 'fflate';
import { DEFAULT_RL_CONFIG, parseRlConfig, type RlConfig } from '../rl/config.ts';
import type { EvalReport } from '../rl/evaluation.ts';
import type { StepMetrics } from '../rl/metrics.ts';
import { RUN_FILE } from '../train/checkpoint.ts';
import type { EvalPoint } from '../worker/protocol.ts';
import { newRunId, type StoredRun } from './runPersistence.ts';

export class CheckpointRunImportError extends Error {
  override name = 'CheckpointRunImportError';
}

const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isReport = (x: unknown): x is EvalReport => isRecord(x) && typeof x['refusal_rate/harmful'] === 'number' && typeof x['over_refusal_rate/benign'] === 'number';

/**
 * The card's evaluations as points: the page's cards keep every one (eval_history); the CLI's the
 * last (eval, at the card's step) and the page's also the one before training (eval_before).
 */
function evalPoints(card: Record<string, unknown>, step: number): EvalPoint[] {
  const history = Array.isArray(card.eval_history) ? card.eval_history.filter((p): p is EvalPoint => isRecord(p) && typeof p.step === 'number' && isReport(p.report)) : [];
  if (history.length > 0) return history;
  const points: EvalPoint[] = [];
  if (isReport(card.eval_before)) points.push({ step: 0, report: card.eval_before });
  if (isReport(card.eval) && !(step === 0 && points.length > 0)) points.push({ step, report: card.eval });
  return points;
}

/** The run a checkpoint zip records, as a finished run kept in this browser (no checkpoint of its own kept). */
export function runFromCheckpointZip(bytes: Uint8Array, fileName: string, now = new Date()): StoredRun {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (file) => file.name === RUN_FILE || file.name.endsWith(`/${RUN_FILE}`) });
  } catch (error) {
    throw new CheckpointRunImportError(`${fileName} is not a readable zip file (${(error as Error).message}): pick a checkpoint .zip the lab exported`);
  }
  const cardBytes = Object.values(entries)[0];
  if (!cardBytes) throw new CheckpointRunImportError(`${fileName} holds no ${RUN_FILE}: it is a model, not a checkpoint of a lab run; pick a checkpoint .zip the lab exported`);
  let card: unknown;
  try {
    card = JSON.parse(new TextDecoder().decode(cardBytes));
  } catch (error) {
    throw new CheckpointRunImportError(`${fileName}'s ${RUN_FILE} is not valid JSON (${(error as Error).message}): export the checkpoint again`);
  }
  if (!isRecord(card)) throw new CheckpointRunImportError(`${fileName}'s ${RUN_FILE} is not a run card: export the checkpoint again`);
  const step = typeof card.step === 'number' ? card.step : 0;
  const metrics = Array.isArray(card.metrics) ? card.metrics.filter((m): m is StepMetrics => isRecord(m) && typeof m.step === 'number') : [];
  const evals = evalPoints(card, step);
  if (metrics.length === 0 && evals.length === 0) throw new CheckpointRunImportError(`${fileName} records neither metrics nor an evaluation to compare: evaluate the checkpoint (lab eval) or pick one a run with held-out prompts wrote`);
  const lastStep = Math.max(step, metrics.at(-1)?.step ?? 0);
  let config: RlConfig;
  try {
    config = parseRlConfig(card.config);
  } catch {
    // An SFT checkpoint's card holds no RL settings: the defaults stand in, as for an imported TRL log.
    config = { ...DEFAULT_RL_CONFIG, max_steps: Math.max(1, lastStep) };
  }
  const iso = now.toISOString();
  return {
    version: 2,
    id: newRunId(now),
    startedAt: iso,
    updatedAt: iso,
    model: `checkpoint (${fileName})`,
    dataset: typeof card.dataset === 'string' ? card.dataset : '',
    config,
    status: 'finished',
    step: lastStep,
    metrics,
    evals,
    rollouts: [],
    checkpoint: null,
    autoResumedFrom: null,
  };
}
