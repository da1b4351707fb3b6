// `lab train` and `lab eval`: AlphaAlign RL headless, on the engine the page runs.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PromptRow } from '../data/schema.ts';
import { assignSplits, DEFAULT_EVAL_FRACTION, heldOutRecord, IMPORT_SPLIT_SEED, type HeldOutChoice } from '../data/splits.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { createNodeGpu } from '../gpu/node.ts';
import { peakLine } from '../model/memoryPlanner.ts';
import { NonFiniteLogitsError } from '../model/generate.ts';
import { AttackError, selectAttacks } from '../rl/attacks.ts';
import { judgeCompletionReasoning } from '../rl/reasoningDepth.ts';
import { ATTACKS_NOTE, evaluate, evaluateAttacks, type EvalCompletion, type EvalReport } from '../rl/evaluation.ts';
import type { RlConfig } from '../rl/config.ts';
import { noLearningSignalNote, stepsWithoutLearningSignal, type LearningSignalSettings, type StepMetrics } from '../rl/metrics.ts';
import { buildPolicy, evalSettings, fittingPrompts, NoFittingPromptError, ResumeError, resumeTrainer, runCheckpoint, sha256Hex, type Policy } from '../rl/runSetup.ts';
import { evaluatingPhase, phaseProgressText, StepPhaseTimer, stepsDoneAt, type RunPhase } from '../rl/runProgress.ts';
import { promptsForStep } from '../rl/schedule.ts';
import { AlphaAlignTrainer } from '../rl/trainer.ts';
import { checkpointFiles, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { NonFiniteError } from '../train/lmTrainer.ts';
import { choiceOption, numberOption, requireString, UsageError } from './args.ts';
import { counted } from '../util/plural.ts';
import { readPromptRows, readRlConfig } from './inputFiles.ts';
import { configOverRecipe, recipeForRun } from './recipeSource.ts';
import { inferenceMemoryLine, openModel, readCheckpoint } from './modelCommands.ts';
import { loadRewardModel, refusalModelOption } from './onnxModelFolders.ts';
import { refusalClassifierFor } from './refusalClassifierFile.ts';
import { REFUSAL_JUDGE_KINDS } from '../rl/refusalJudge.ts';

export const DEMO = {
  model: 'public/models/demo',
  train: 'public/datasets/demo-train.jsonl',
  eval: 'public/datasets/demo-eval.jsonl',
  config: 'public/datasets/demo-config.json',
};

const pct = (x: number | null) => (x === null ? '  –  ' : `${(100 * x).toFixed(0).padStart(3)}%`);

/** A step's line on stderr; a step without learning signal gets a second line saying so and why. */
export function progressLine(m: StepMetrics, settings: LearningSignalSettings & Pick<RlConfig, 'max_steps'>, secondsPerStep: number): string {
  const steps = settings.max_steps;
  const width = 20;
  const done = Math.round((width * m.step) / steps);
  const eta = secondsPerStep * (steps - m.step);
  const line =
    `step ${m.step}/${steps} [${'#'.repeat(done)}${'.'.repeat(width - done)}] eta ${formatSeconds(eta)}  ` +
    `reward ${m.reward.toFixed(3)}  refusal ${pct(m['refusal_rate/harmful'])}  over-refusal ${pct(m['over_refusal_rate/benign'])}  ` +
    `format ${pct(m.format_rate)}  ${m.tokens_per_second.toFixed(0)} tok/s`;
  const note = noLearningSignalNote(m, settings);
  return note ? `${line}\n  ${note}` : line;
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${(s / 60).toFixed(0)}m` : `${s.toFixed(0)}s`;
}

/** Where TerminalPhaseLine writes: stderr, or a stand-in. */
export interface StatusStream {
  isTTY?: boolean;
  /** The terminal's width in characters. */
  columns?: number;
  write(text: string): unknown;
}

/**
 * The phase in flight on one terminal line, rewritten in place, with its share of the step and the
 * ETA (runProgress.ts's StepPhaseTimer). Only on a terminal: stderr written to a file or a pipe
 * keeps only the step lines, which scripts and tests read.
 */
export class TerminalPhaseLine {
  private readonly timer = new StepPhaseTimer();
  private shown = false;

  constructor(
    private readonly stream: StatusStream,
    private readonly maxSteps: number,
  ) {}

  show(phase: RunPhase, nowMs = performance.now()): void {
    if (!this.stream.isTTY) return;
    this.timer.observe(phase, nowMs);
    const estimate = this.timer.estimate(stepsDoneAt(phase), this.maxSteps, nowMs);
    const eta = estimate.etaSeconds === null ? '' : `  eta ${estimate.etaAtLeast ? '≥' : ''}${formatSeconds(estimate.etaSeconds)}`;
    // One row: a line wider than the terminal would wrap, and \r goes back only to its last row.
    // A terminal that gives no width (0, as a bare pty does) is taken to be 80 wide.
    const text = `${phaseProgressText(phase, estimate)}${eta}`.slice(0, Math.max(1, (this.stream.columns || 80) - 1));
    this.stream.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  /** The step in flight has ended: its phases' times weigh the next estimates. */
  stepEnded(nowMs = performance.now()): void {
    this.timer.stepEnded(nowMs);
  }

  /** Clears the line, before a line of its own is written. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** Drops prompts that leave no room for a completion in the model's context, saying how many. */
function fitting(rows: PromptRow[], loaded: LoadedCheckpoint, config: RlConfig, maxPositions: number, what: string): { rows: PromptRow[]; longest: number } {
  try {
    const fit = fittingPrompts(rows, loaded.tokenizer, config, maxPositions, what);
    if (fit.dropped > 0) {
      const [are, were] = fit.dropped === 1 ? ['is', 'was'] : ['are', 'were'];
      process.stderr.write(`${what}: ${counted(fit.dropped, 'prompt')} ${are} longer than ${fit.limit} tokens with the template and ${were} left out\n`);
    }
    return fit;
  } catch (error) {
    if (error instanceof NoFittingPromptError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The rows with a held-out split: as the file gives it, or — for a file without one and no --eval —
 * made as the page makes it on import (the share of each label, each type in proportion, the same
 * seed), and said so on stderr, so a run never evaluates nothing without saying why.
 */
function withHeldOutSplit(rows: PromptRow[], evalFile: boolean, share: number): { rows: PromptRow[]; choice: HeldOutChoice } {
  const fromFile = rows.some((r) => r.split !== undefined);
  if (evalFile || fromFile) return { rows, choice: { fromFile, made: null, editedByHand: false } };
  if (share === 0) {
    process.stderr.write('nothing is held out (--held-out 0 and no --eval): the run will not be evaluated\n');
    return { rows, choice: { fromFile: false, made: null, editedByHand: false } };
  }
  const split = assignSplits(rows, share, IMPORT_SPLIT_SEED);
  process.stderr.write(
    `the data has no split column: holding out ${split.filter((r) => r.split === 'eval').length} of ${rows.length} prompts ` +
      `(${Math.round(100 * share)} % of each label, each type in proportion; --held-out sets the share, --eval gives a file of its own)\n`,
  );
  return { rows: split, choice: { fromFile: false, made: { fraction: share, seed: IMPORT_SPLIT_SEED }, editedByHand: false } };
}

export async function trainCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      eval: { type: 'string' },
      config: { type: 'string' },
      steps: { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      'reward-model': { type: 'string' },
      'refusal-model': { type: 'string' },
      'held-out': { type: 'string' },
      recipe: { type: 'string' },
    },
    strict: true,
  });
  const demo = values.demo === true;
  if (demo && !existsSync(join(DEMO.model, 'model.safetensors'))) {
    throw new UsageError(`the demo model is not built yet: run \`npm run build:demo-model\` first (it writes ${DEMO.model})`);
  }
  const out = requireString(values, 'out');
  const label = values.label === undefined ? undefined : choiceOption(values, 'label', ['harmful', 'benign'] as const, 'harmful');
  const dataPath = demo ? DEMO.train : requireString(values, 'data');
  const evalPath = demo ? DEMO.eval : values.eval;
  const overrides: Record<string, unknown> = {};
  if (values.steps !== undefined) overrides.max_steps = numberOption(values, 'steps', 1, { min: 1, integer: true });
  const gpu = await createNodeGpu();
  // --recipe: its settings on the model and this adapter, --config's over them; --demo's preset is the demo recipe.
  const limits = { budgetBytes: gpu.memoryBudgetBytes, maxStorageBufferBindingSize: gpu.maxBindingBytes };
  const recipe = values.recipe === undefined ? null : await recipeForRun(values.recipe, demo ? DEMO.model : requireString(values, 'model'), DEMO.config, limits);
  const config = recipe ? configOverRecipe(recipe, values.config, overrides) : readRlConfig(demo ? DEMO.config : values.config, overrides);
  const recipeName = recipe?.name ?? (demo ? 'demo' : null);
  const checkpointEvery = numberOption(values, 'checkpoint-every', 50, { min: 1, integer: true });

  const heldOutShare = numberOption(values, 'held-out', DEFAULT_EVAL_FRACTION, { min: 0, max: 0.9 });
  const { rows: allRows, choice: heldOutChoice } = withHeldOutSplit(readPromptRows(dataPath, 'data', label), evalPath !== undefined, heldOutShare);
  const evalRowsAll = evalPath ? readPromptRows(evalPath, 'eval', label) : allRows.filter((r) => r.split === 'eval');
  const trainRowsAll = evalPath ? allRows : allRows.filter((r) => r.split !== 'eval');

  // Resume from the newest checkpoint in --out, or start from --model.
  const latest = values.resume ? latestCheckpoint(out) : null;
  if (values.resume && !latest) throw new UsageError(`--resume: ${out} holds no checkpoint-<step> folder to resume from`);
  const loaded = await readCheckpoint(latest ?? (demo ? DEMO.model : requireString(values, 'model')));
  const policy = policyOrUsage(gpu, loaded, config, latest !== null);
  const { model, reference } = policy;

  const train = fitting(trainRowsAll, loaded, config, model.maxPositions, dataPath);
  const held = evalRowsAll.length > 0 ? fitting(evalRowsAll, loaded, config, model.maxPositions, evalPath ?? 'eval split') : null;
  const maxSeqLen = Math.min(model.maxPositions, train.longest + config.max_completion_length);
  const rewardModel = typeof values['reward-model'] === 'string' ? await loadRewardModel(values['reward-model']) : null;
  const refusalClassifier = refusalClassifierFor(config);
  const refusalModel = await refusalModelOption(values['refusal-model'], config.reward_judge, config.eval_judge);
  const trainer = new AlphaAlignTrainer(model, loaded.tokenizer, config, maxSeqLen, reference, rewardModel, refusalClassifier, refusalModel);
  const history: StepMetrics[] = (loaded.run?.metrics as StepMetrics[] | undefined) ?? [];
  if (latest) {
    resumeTrainer(trainer, loaded);
    forgetStepsAfter(out, trainer.step, history);
  }
  const datasetSha = await sha256Hex(readFileSync(dataPath, 'utf8'));
  mkdirSync(out, { recursive: true });

  const checkpoint = async (evalReport: EvalReport | null) =>
    checkpointFiles(
      await runCheckpoint(policy, trainer, loaded, {
        config,
        dataset: dataPath,
        datasetSha256: datasetSha,
        metrics: history,
        eval: evalReport,
        extra: { held_out: heldOutRecord(heldOutChoice, evalRowsAll.length, held?.rows.length ?? 0), recipe: recipeName },
      }),
    );
  const stepFolder = () => join(out, `checkpoint-${trainer.step}`);
  const phaseLine = new TerminalPhaseLine(process.stderr, config.max_steps);
  const runEval = async (): Promise<EvalReport | null> => {
    if (!held) return null;
    const settings = evalSettings(config, refusalClassifier, refusalModel);
    const showProgress = (done: number, total: number) => phaseLine.show(evaluatingPhase(trainer.step, 'held-out', done, total, settings.batch));
    showProgress(0, held.rows.length);
    const { report } = await evaluate(model, loaded.tokenizer, held.rows, settings, showProgress).catch((error: unknown) => {
      const when = trainer.step === 0 ? 'before step 1' : `after step ${trainer.step}`;
      throw error instanceof NonFiniteLogitsError ? new NonFiniteError(`${when}: evaluating the held-out prompts, ${error.message}`, { cause: error }) : error;
    });
    appendFileSync(join(out, 'eval.jsonl'), `${JSON.stringify({ step: trainer.step, ...report })}\n`);
    return report;
  };

  process.stderr.write(
    `training ${train.rows.length} prompts, evaluating ${held?.rows.length ?? 0}, ${config.max_steps} steps of ` +
      `${config.prompts_per_step} prompts × ${config.num_generations} completions, sequences of ${maxSeqLen} tokens\n`,
  );
  const start = performance.now();
  const firstStep = trainer.step;
  let report: EvalReport | null = null;
  try {
    if (trainer.step === 0 && held) {
      const before = await runEval();
      phaseLine.clear();
      process.stderr.write(`before training: refusal ${pct(before!['refusal_rate/harmful'])}  over-refusal ${pct(before!['over_refusal_rate/benign'])}  format ${pct(before!.format_rate)}\n`);
    }
    while (trainer.step < config.max_steps) {
      const { metrics } = await trainer.train(promptsForStep(train.rows, config.prompts_per_step, config.seed, trainer.step + 1, config.balance_labels), (phase) => phaseLine.show(phase));
      phaseLine.stepEnded();
      phaseLine.clear();
      history.push(metrics);
      appendFileSync(join(out, 'metrics.jsonl'), `${JSON.stringify(metrics)}\n`);
      const secondsPerStep = (performance.now() - start) / 1000 / (trainer.step - firstStep);
      process.stderr.write(`${progressLine(metrics, config, secondsPerStep)}\n`);
      if (config.eval_steps > 0 && trainer.step % config.eval_steps === 0 && trainer.step < config.max_steps) await runEval();
      if (trainer.step % checkpointEvery === 0) writeWholeFolder(stepFolder(), await checkpoint(null));
    }
  } catch (error) {
    phaseLine.clear();
    if (error instanceof NonFiniteError) {
      // Non-finite logits while sampling: the weights held now are the culprit, so none are kept.
      if (error.cause instanceof NonFiniteLogitsError) {
        const whose = trainer.step === firstStep ? `The weights loaded (${values.model ?? `step ${firstStep}`})` : `The weights after step ${trainer.step}`;
        throw new Error(`${error.message}. ${whose} give non-finite logits; nothing was written: check the model's weights for NaN or ±Inf`);
      }
      // The failed update was skipped, so the weights are the last good ones: keep them.
      writeWholeFolder(stepFolder(), await checkpoint(null));
      throw new Error(`${error.message}. The last good weights (step ${trainer.step}) are in ${stepFolder()}; lower learning_rate or max_grad_norm and resume with --resume`);
    }
    throw error;
  }
  try {
    report = await runEval();
  } finally {
    phaseLine.clear();
  }
  if (report) writeFileSync(join(out, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const [name, bytes] of await checkpoint(report)) writeFileSync(join(out, name), bytes);
  process.stderr.write(`wrote ${out}${report ? ` (refusal ${pct(report['refusal_rate/harmful'])}, over-refusal ${pct(report['over_refusal_rate/benign'])}, format ${pct(report.format_rate)})` : ''}\n`);
  const withoutSignal = stepsWithoutLearningSignal(history).length;
  if (withoutSignal > 0) process.stderr.write(`${withoutSignal} of ${history.length} steps had no learning signal (their lines say why)\n`);
  process.stderr.write(`${peakLine(gpu.pool.stats().peakBytes, trainer.plan.totalBytes)}\n`);
  trainer.release();
  gpu.destroy();
}

/** The attack templates for --attack-names (a comma-separated list, or all). */
function attackList(names: string) {
  try {
    return selectAttacks(names);
  } catch (error) {
    if (error instanceof AttackError) throw new UsageError(`--attack-names: ${error.message}`);
    throw error;
  }
}

/** The policy, with a checkpoint that cannot be resumed exactly reported as a usage error. */
function policyOrUsage(gpu: Gpu, loaded: LoadedCheckpoint, config: RlConfig, resume: boolean): Policy {
  try {
    return buildPolicy(gpu, loaded, config, resume);
  } catch (error) {
    if (error instanceof ResumeError) throw new UsageError(`--resume: ${error.message}`);
    throw error;
  }
}

/**
 * A run killed after its last checkpoint had logged steps past it, which the resumed run logs
 * again: metrics.jsonl becomes the checkpoint's history, and eval.jsonl loses the later lines.
 */
function forgetStepsAfter(out: string, step: number, history: readonly StepMetrics[]): void {
  writeFileSync(join(out, 'metrics.jsonl'), history.map((m) => `${JSON.stringify(m)}\n`).join(''));
  const evalLog = join(out, 'eval.jsonl');
  if (!existsSync(evalLog)) return;
  const kept = readFileSync(evalLog, 'utf8')
    .split('\n')
    .filter((line) => (loggedStep(line) ?? Infinity) <= step);
  writeFileSync(evalLog, kept.map((line) => `${line}\n`).join(''));
}

/** The step of a log line; null for an empty line or one the kill cut short. */
function loggedStep(line: string): number | null {
  try {
    return (JSON.parse(line) as { step: number }).step;
  } catch {
    return null;
  }
}

/**
 * Writes a checkpoint folder beside its place and renames it there when whole, so a run killed
 * while saving leaves no half-written checkpoint for --resume to pick.
 */
function writeWholeFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): void {
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(partial, name), bytes);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}

function latestCheckpoint(out: string): string | null {
  if (!existsSync(out)) return null;
  const steps = readdirSync(out)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  return steps.length > 0 ? join(out, `checkpoint-${Math.max(...steps)}`) : null;
}

export async function evalCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      completions: { type: 'string' },
      config: { type: 'string' },
      label: { type: 'string' },
      attacks: { type: 'boolean', default: false },
      'attack-names': { type: 'string' },
      'reward-model': { type: 'string' },
      'refusal-model': { type: 'string' },
      judge: { type: 'string' },
    },
    strict: true,
  });
  const label = values.label === undefined ? undefined : choiceOption(values, 'label', ['harmful', 'benign'] as const, 'harmful');
  // --judge overrides the config's eval_judge; the report names the judge that scored it.
  const config = readRlConfig(values.config, values.judge === undefined ? {} : { eval_judge: choiceOption(values, 'judge', REFUSAL_JUDGE_KINDS, 'combined') });
  const refusalModel = await refusalModelOption(values['refusal-model'], config.eval_judge);
  const settings = evalSettings(config, refusalClassifierFor(config), refusalModel);
  const attacks = values.attacks || values['attack-names'] !== undefined ? attackList(values['attack-names'] ?? 'all') : [];
  // Utility beside the overlap scores: the reward model's score of each benign answer with a reference.
  const rewardModel = typeof values['reward-model'] === 'string' ? await loadRewardModel(values['reward-model']) : null;
  const rows = readPromptRows(requireString(values, 'data'), 'data', label);
  const { gpu, loaded, model } = await openModel(requireString(values, 'model'), true);
  const { rows: usable } = fitting(rows, loaded, config, model.maxPositions, requireString(values, 'data'));
  const progress = (done: number, total: number) => {
    if (done === total || done % 32 === 0) process.stderr.write(`evaluated ${done}/${total}\n`);
  };
  const { report, completions } = await evaluate(model, loaded.tokenizer, usable, settings, progress, rewardModel ?? undefined);
  let attacked: EvalCompletion[] = [];
  if (attacks.length > 0) {
    if (!usable.some((r) => r.label === 'harmful')) throw new UsageError(`--attacks: ${requireString(values, 'data')} has no harmful prompt to attack`);
    process.stderr.write(`${ATTACKS_NOTE}\n`);
    const result = await evaluateAttacks(model, loaded.tokenizer, usable, settings, attacks, (done, total) => {
      if (done === total || done % 32 === 0) process.stderr.write(`attacked ${done}/${total}\n`);
    });
    if (result.report.n_too_long > 0) process.stderr.write(`--attacks: ${result.report.n_too_long} attacked prompts leave no room for an answer in the model's context and were left out\n`);
    report.attacks = result.report;
    attacked = result.completions;
  }
  if (typeof values.completions === 'string') {
    // Attacked prompts are typed by their attack, and marked so they are not read as held-out rows.
    const lines = [...completions.map((c) => ({ c, attack: null })), ...attacked.map((c) => ({ c, attack: c.row.type ?? null }))].map(({ c: { row, text, verdict }, attack }) => {
      const reasoning = judgeCompletionReasoning(verdict, config.reasoning_rules);
      return JSON.stringify({
        id: row.id,
        label: row.label,
        type: row.type,
        ...(attack ? { attack } : {}),
        completion: text,
        format: verdict.formatScore === 1,
        refusal: verdict.refusalScore === 1,
        rule: verdict.refusal.rule?.pattern ?? null,
        decided_by: verdict.refusal.decidedBy,
        refusal_reason: verdict.refusal.reason,
        reasoning: reasoning && { names_harm: reasoning.harmRule !== null, says: reasoning.says, agrees: reasoning.agrees },
      });
    });
    writeFileSync(values.completions, `${lines.join('\n')}\n`);
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (typeof values.out === 'string') writeFileSync(values.out, json);
  else process.stdout.write(json);
  process.stderr.write(`${inferenceMemoryLine(gpu, model)}\n`);
  gpu.destroy();
}
