// The training worker: the whole engine off the main thread. It owns the GPU device, the loaded
// model and at most one RL run, and talks to the page only through protocol.ts. A failure is
// reported as an `error` event with a way out; whatever was loaded before stays loaded.
/// <reference lib="webworker" />
import type { PromptRow } from '../data/schema.ts';
import { heldOutRecord, stratifiedSubset, type HeldOutChoice, type HeldOutRecord } from '../data/splits.ts';
import { adapterOverBase, onHubBaseIfBareAdapter } from '../export/adapterSource.ts';
import { NoAdapterError } from '../gpu/adapter.ts';
import { createBrowserGpu } from '../gpu/browser.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { droppedFilesSource } from '../model/browserFiles.ts';
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { loadFailureRecovery, memorySource, ModelFileError, readJson, type ModelFileSource } from '../model/files.ts';
import { hubSource } from '../model/hubSource.ts';
import type { LlamaModel } from '../model/llama.ts';
import { MemoryPlanError, planMemory, type RunShape } from '../model/memoryPlanner.ts';
import { parameterCount } from '../model/parameters.ts';
import { urlSource } from '../model/urlSource.ts';
import { parseRlConfig, RlConfigError, type RlConfig } from '../rl/config.ts';
import { ATTACK_TEMPLATES } from '../rl/attacks.ts';
import { evaluate, evaluateAttacks, type EvalReport } from '../rl/evaluation.ts';
import type { StepMetrics } from '../rl/metrics.ts';
import { fetchRefusalClassifier, REFUSAL_CLASSIFIER_FILE, type RefusalClassifier } from '../rl/refusalClassifier.ts';
import type { RefusalModel } from '../rl/refusalJudge.ts';
import { buildPolicy, evalSettings, fittingPrompts, resumeTrainer, runCheckpoint, sha256Hex, type FittingPrompts } from '../rl/runSetup.ts';
import { evaluatingPhase, type RunPhase } from '../rl/runProgress.ts';
import { recipeModel } from '../rl/recipes.ts';
import { estimateStepTime } from '../rl/stepEstimate.ts';
import { promptsForStep } from '../rl/schedule.ts';
import { AlphaAlignTrainer, type HelpfulnessModel, type Rollout } from '../rl/trainer.ts';
import { baseContentHash, checkpointZip, folderZip, frozenBaseFiles, loadCheckpoint, zipSource, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { NonFiniteError } from '../train/lmTrainer.ts';
import { throttledDownloadProgress } from './downloadProgress.ts';
import { event, PROTOCOL_VERSION, type AdapterDownload, type CheckpointRun, type FrozenBase, type ErrorArea, type EvalPoint, type ModelSourceSpec, type OnnxModelRole, type RolloutView, type RunState, type WorkerEventBody, type WorkerRequest } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(body: WorkerEventBody, transfer: Transferable[] = []): void {
  scope.postMessage(event(body), transfer);
}

function fail(area: ErrorArea, error: unknown, recovery: string): void {
  const message = error instanceof RlConfigError ? error.problems.join('; ') : error instanceof Error ? error.message : String(error);
  post({ type: 'error', area, message, recovery });
}

// ----------------------------------------------------------------------------------- state

let gpuPromise: Promise<Gpu> | null = null;
let loaded: { checkpoint: LoadedCheckpoint; label: string } | null = null;

interface Session {
  model: LlamaModel;
  reference: LlamaModel | null;
  trainer: AlphaAlignTrainer;
  checkpoint: LoadedCheckpoint;
  config: RlConfig;
  /** The shipped classifier, when the reward or the evaluation judges with it. */
  refusalClassifier: RefusalClassifier | null;
  train: FittingPrompts;
  held: PromptRow[];
  /** Whether the evaluations before and after training also run the jailbreak templates. */
  attacks: boolean;
  history: StepMetrics[];
  evalHistory: EvalPoint[];
  dataset: string;
  datasetSha: string;
  /** How the held-out split came about, and how much of it the run evaluates: for the run card. */
  heldOut: HeldOutRecord;
  /** The recipe the settings started from (src/rl/recipes.ts), for the run card; null when none was. */
  recipe: string | null;
  state: RunState;
  /** The state the page was last told: it lags `state` while a pause or a stop waits for the step in flight. */
  reportedState: RunState;
  /** Wakes the loop while it waits in a pause: a resume, a stop or an export. */
  wake: (() => void) | null;
  /**
   * Whether the run loop still goes on: until it ends (after its last save) the session's GPU work is
   * its own, so an export is answered by the loop at its next safe point rather than beside a step.
   */
  looping: boolean;
  /** An export asked for while the loop was busy (how a LoRA run's adapter comes): it answers after the step, evaluation or save in flight. */
  exportRequested: AdapterDownload | null;
  /** A LoRA run's frozen base, once its files went to the page with an autosave: later autosaves only name it. */
  frozenBase: FrozenBase | null;
  /** The last checkpoint sent for the page's storage: its step, when it was done and what it took (ms). */
  lastAutosave: { step: number; doneAt: number; tookMs: number } | null;
}

/**
 * Checkpoints for the page's storage (the weights and the optimiser state) while a run goes on: one
 * after the first step, then one after a step whenever the time since the last is at least this
 * many times what the last one took, so they cost at most about 1/20 of the run's time: a small
 * model gets one at every step, a large one every few. A pause, a stop and the end always make one.
 * There is none at step 0: it would be the base model plus zero moments (three copies of the
 * weights), and a run that starts again from the base with its settings and seed is the same run.
 */
const CHECKPOINT_COST_RATIO = 20;

function autosaveDue(s: Session, now: number): boolean {
  const last = s.lastAutosave;
  return !last || now - last.doneAt >= CHECKPOINT_COST_RATIO * last.tookMs;
}

let session: Session | null = null;
/** The helpfulness scorer "onnx"'s model, once the user has given one. */
let rewardModel: { model: HelpfulnessModel; label: string } | null = null;
/** The "onnx" refusal judge's classifier, once the user has given one. */
let refusalModel: { model: RefusalModel; label: string } | null = null;
/** The shipped refusal classifier, fetched from the page's origin when a run first needs it. */
let shippedClassifier: Promise<RefusalClassifier> | null = null;

function refusalClassifierFor(config: RlConfig): Promise<RefusalClassifier | null> {
  if (config.reward_judge !== 'combined' && config.eval_judge !== 'combined') return Promise.resolve(null);
  shippedClassifier ??= fetchRefusalClassifier(new URL(`${import.meta.env.BASE_URL}${REFUSAL_CLASSIFIER_FILE}`, self.location.origin)).catch((error: unknown) => {
    shippedClassifier = null; // a later run tries again
    throw error;
  });
  return shippedClassifier;
}

/** Requests run one at a time, except pause/resume/stop, which must reach a running loop. */
let queue: Promise<void> = Promise.resolve();

/** Runs a request after those before it. One that throws is reported, and the requests after it still run. */
function enqueue(task: () => Promise<void>): void {
  queue = queue.then(task).catch((error: unknown) => fail('protocol', error, 'Try again; if it persists, reload the page.'));
}

/** The last run's loop, settled once it has made its last save and answered its last export. */
let loopEnded: Promise<void> = Promise.resolve();

/**
 * The newest step-time estimate asked for and not yet begun. Estimates take their turn in the
 * queue, but only the newest is worth its seconds of calibration, and none once a run starts: a
 * form being filled in would otherwise queue one per edit ahead of the Start that follows.
 */
let pendingEstimate: RlConfig | null = null;

async function estimateNewest(): Promise<void> {
  const config = pendingEstimate;
  pendingEstimate = null;
  if (config === null) return;
  if (!loaded) {
    post({ type: 'error', area: 'plan', message: 'no model is loaded to estimate a step for', recovery: 'Load the demo model or your own in the Model panel first.' });
    return;
  }
  const { checkpoint } = loaded;
  const model = recipeModel(checkpoint.config, checkpoint.dtype, checkpoint.tokenizer, checkpoint.run);
  await estimateStepTime(await gpu(), model, config)
    .then((estimate) => post({ type: 'estimate', config, estimate }))
    .catch((error: unknown) => fail('plan', error, 'The step time could not be estimated; training still works. Check the settings.'));
}

/** The page's binding cap in bytes (a `bindingCap` request), for the device opened next. */
let maxBindingBytes: number | undefined;

async function gpu(): Promise<Gpu> {
  if (!gpuPromise) {
    gpuPromise = createBrowserGpu(maxBindingBytes === undefined ? {} : { maxBindingBytes }).then((g) => {
      post({ type: 'gpu', adapter: g.adapter, budgetBytes: g.memoryBudgetBytes });
      return g;
    });
    gpuPromise.catch(() => (gpuPromise = null));
  }
  return gpuPromise;
}

// ----------------------------------------------------------------------------------- loading

async function sourceOf(spec: ModelSourceSpec): Promise<ModelFileSource> {
  const onBytes = throttledDownloadProgress((file, received, total) => post({ type: 'downloadProgress', file, received, total }));
  switch (spec.kind) {
    case 'url':
      return urlSource(spec.baseUrl, spec.label, { onBytes });
    case 'hub':
      return hubSource(spec.repoId, { revision: spec.revision, baseUrl: spec.baseUrl, token: spec.token, onBytes });
    case 'files':
      return onHubBaseIfBareAdapter(droppedFilesSource(spec.files, spec.label), spec.hub && { ...spec.hub, onBytes });
    case 'zip': {
      const checkpoint = zipSource(new Uint8Array(spec.bytes), spec.name);
      // Labelled as the checkpoint: the page knows its stored run's load by that name.
      return spec.base ? { ...adapterOverBase(checkpoint, await frozenBaseSource(spec.base, spec.name)), label: spec.name } : checkpoint;
    }
  }
}

/**
 * The frozen base a LoRA autosave holds its adapter on: the files the page kept, or, when it no
 * longer keeps them, the loaded model if it is that base (the same content hash).
 */
async function frozenBaseSource(base: FrozenBase & { files: ArrayBuffer | null }, checkpointName: string): Promise<ModelFileSource> {
  if (base.files) return zipSource(new Uint8Array(base.files), base.label);
  const current = loaded && frozenBaseFiles(loaded.checkpoint);
  if (current && (await baseContentHash(current)) === base.sha256) return memorySource(loaded!.label, current);
  throw new ModelFileError(
    `${checkpointName} holds a LoRA adapter on ${base.label || 'a base model'} (model.safetensors sha256 ${base.sha256.slice(0, 12)}…), whose weights this browser no longer keeps: ` +
      `load ${base.label || 'that model'} in the Model panel, then load this checkpoint again`,
  );
}

/** The bytes in an ArrayBuffer of their own, to transfer to the page. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function runShape(model: ModelConfig, config: RlConfig, seqLen?: number): RunShape {
  // Before the data is known, assume prompts of up to 128 tokens with the template.
  const T = Math.min(model.maxPositions, seqLen ?? 128 + config.max_completion_length);
  const lora = config.finetune.kind === 'lora' ? config.finetune : null;
  return {
    batch: config.per_device_train_batch_size,
    seqLen: T,
    finetune: lora ? { kind: 'lora', rank: lora.rank, targets: lora.targets } : { kind: 'full' },
    generationBatch: config.generation_batch_size,
    generationLen: T,
    referenceCopy: config.beta > 0 && !lora,
  };
}

async function reportPlan(model: ModelConfig, config: RlConfig): Promise<void> {
  const g = await gpu();
  const shape = runShape(model, config);
  post({
    type: 'plan',
    shape,
    plan: planMemory(model, shape, { budgetBytes: g.memoryBudgetBytes, maxStorageBufferBindingSize: g.adapter.limits.maxStorageBufferBindingSize ?? 2 ** 27 }),
  });
}

function checkpointRun(checkpoint: LoadedCheckpoint): CheckpointRun | null {
  const run = checkpoint.run;
  if (!run) return null;
  let config: RlConfig | null = null;
  try {
    config = run.config ? parseRlConfig(run.config) : null;
  } catch {
    config = null;
  }
  // Only an RL run's record (it holds the run's config) is a run to chart and resume; the record of
  // an SFT checkpoint, such as the demo base, is not: its steps are not RL steps.
  if (!config) return null;
  const report = (value: unknown) => (value && typeof value === 'object' ? (value as EvalReport) : null);
  return {
    step: run.step,
    resumable: checkpoint.optimizer !== null && run.step > 0,
    config,
    metrics: Array.isArray(run.metrics) ? (run.metrics as StepMetrics[]) : [],
    eval: report(run.eval),
    evalBefore: report(run.eval_before),
    evalHistory: Array.isArray(run.eval_history) ? (run.eval_history as EvalPoint[]) : [],
  };
}

async function load(spec: ModelSourceSpec, config: RlConfig): Promise<void> {
  if (session?.state === 'running' || session?.state === 'paused') {
    post({ type: 'error', area: 'load', message: 'a run is in progress', recovery: 'Stop the run (and export it if you want to keep it), then load another model.' });
    return;
  }
  try {
    await gpu();
  } catch (error) {
    fail('gpu', error, error instanceof NoAdapterError ? 'Open the lab in Chrome or Edge 113+ with WebGPU enabled.' : 'Reload the page; if it persists, check chrome://gpu.');
    return;
  }
  try {
    const source = await sourceOf(spec);
    post({ type: 'loadProgress', phase: 'config', done: 0, total: 1, label: source.label });
    // The verdict comes before the weights: config.json alone sizes the run.
    const modelConfig = parseModelConfig(await readJson(source, 'config.json'), `${source.label}/config.json`);
    await reportPlan(modelConfig, config);
    const checkpoint = await loadCheckpoint(source, (done, total) => post({ type: 'loadProgress', phase: 'weights', done, total, label: source.label }));
    // Only now, with the new model in hand, let go of the old run's buffers.
    await releaseSession();
    loaded = { checkpoint, label: source.label };
    const c = checkpoint.config;
    post({
      type: 'loaded',
      model: {
        label: source.label,
        architecture: c.architecture,
        layers: c.numLayers,
        hiddenSize: c.hiddenSize,
        vocabSize: c.vocabSize,
        maxPositions: c.maxPositions,
        parameters: parameterCount(c),
        hasAdapter: checkpoint.adapter !== null,
        warnings: checkpoint.warnings,
        run: checkpointRun(checkpoint),
        recipeModel: recipeModel(c, checkpoint.dtype, checkpoint.tokenizer, checkpoint.run),
      },
    });
  } catch (error) {
    fail('load', error, loadFailureRecovery(error, loaded?.label ?? null));
  }
}

/** Lets go of the last run's buffers, once its loop (at most its last save, when a run is not in progress) has ended. */
async function releaseSession(): Promise<void> {
  await loopEnded;
  if (!session) return;
  const { trainer, model, reference } = session;
  trainer.release();
  for (const m of [model, reference]) {
    if (!m) continue;
    m.weights.release();
    m.lora?.weights.release();
    m.gpu.release(m.freqs);
  }
  session = null;
}

// ----------------------------------------------------------------------------------- training

function rolloutView(step: number, r: Rollout): RolloutView {
  const rule = r.verdict.refusal.rule;
  return {
    step,
    promptId: r.row.id,
    prompt: r.row.prompt,
    label: r.row.label,
    type: r.row.type ?? null,
    text: r.text,
    reasoning: r.verdict.format.reasoning,
    answer: r.verdict.format.answer,
    formatScore: r.verdict.formatScore,
    formatReason: r.verdict.format.reason,
    refusalScore: r.verdict.refusalScore,
    matchedRule: rule ? `${rule.kind}: ${rule.pattern}` : null,
    rewardSafety: r.reward.safety,
    rewardHelpfulness: r.reward.helpfulness,
    reward: r.reward.total,
    advantage: r.advantage,
    length: r.completion.length,
    clipped: r.clipped,
  };
}

/** A held-out evaluation; with `attacks`, the harmful prompts under every jailbreak template too (kept to before and after training: it costs seven times the harmful prompts). */
async function runEval(s: Session, attacks = false): Promise<EvalReport | null> {
  if (s.held.length === 0) return null;
  const step = s.trainer.step;
  const settings = evalSettings(s.config, s.refusalClassifier, refusalModel?.model ?? null);
  const progress = (prompts: 'held-out' | 'attacks') => (done: number, total: number) => {
    post({ type: 'evalProgress', step, done, total });
    postPhase(evaluatingPhase(step, prompts, done, total, settings.batch));
  };
  // Utility beside the overlap scores: the run's reward model, when it scores helpfulness.
  const scorer = s.config.helpfulness_scorer.kind === 'onnx' ? rewardModel?.model : undefined;
  postPhase(evaluatingPhase(step, 'held-out', 0, s.held.length, settings.batch));
  const { report } = await evaluate(s.model, s.checkpoint.tokenizer, s.held, settings, progress('held-out'), scorer);
  if (attacks && s.held.some((r) => r.label === 'harmful')) {
    report.attacks = (await evaluateAttacks(s.model, s.checkpoint.tokenizer, s.held, settings, ATTACK_TEMPLATES, progress('attacks'))).report;
  }
  const point = { step, report };
  s.evalHistory.push(point);
  post({ type: 'eval', point });
  return report;
}

async function saveCheckpoint(s: Session, save: { reason: 'autosave' } | { reason: 'export'; adapter: AdapterDownload }): Promise<void> {
  const { reason } = save;
  if (reason === 'autosave' && s.lastAutosave?.step === s.trainer.step) return;
  const begun = performance.now();
  const last = s.evalHistory.at(-1);
  const contents = await runCheckpoint({ model: s.model, reference: s.reference }, s.trainer, s.checkpoint, {
    config: s.config,
    dataset: s.dataset,
    datasetSha256: s.datasetSha,
    metrics: s.history,
    eval: last && last.step === s.trainer.step ? last.report : null,
    extra: { baseModel: loaded?.label ?? '', held_out: s.heldOut, recipe: s.recipe, eval_before: s.evalHistory.find((p) => p.step === 0)?.report ?? null, eval_history: s.evalHistory },
  });
  // A LoRA run's autosave keeps the adapter and its moments alone: the frozen base, the bulk of the
  // bytes and the same at every step, goes to the page once per run, named by its content hash.
  const lora = contents.adapter;
  const layout = lora ? (save.reason === 'autosave' ? 'alone' : save.adapter) : null;
  let base: (FrozenBase & { files: ArrayBuffer | null }) | null = null;
  if (layout === 'alone' && reason === 'autosave') {
    let files: ArrayBuffer | null = null;
    if (!s.frozenBase) {
      const baseFiles = frozenBaseFiles(contents);
      s.frozenBase = { sha256: await baseContentHash(baseFiles), label: loaded?.label ?? '' };
      files = ownBuffer(folderZip(baseFiles));
    }
    base = { ...s.frozenBase, files };
  }
  const buffer = ownBuffer(
    checkpointZip(lora && layout ? { ...contents, adapter: { ...lora, layout }, run: { ...contents.run, ...(base ? { base_sha256: base.sha256 } : {}) } } : contents),
  );
  const suffix = layout === 'alone' ? '-adapter' : layout === 'merged' ? '-merged' : '';
  const fileName = `alphaalign-step-${s.trainer.step}${suffix}.zip`;
  post({ type: 'checkpoint', reason, bytes: buffer, step: s.trainer.step, fileName, base }, [buffer, ...(base?.files ? [base.files] : [])]);
  if (reason === 'autosave') s.lastAutosave = { step: s.trainer.step, doneAt: performance.now(), tookMs: performance.now() - begun };
}

function postPhase(phase: RunPhase): void {
  post({ type: 'runPhase', phase });
}

function setState(s: Session, state: RunState): void {
  s.state = state;
  reportState(s);
}

function reportState(s: Session): void {
  s.reportedState = s.state;
  post({ type: 'runState', state: s.state, step: s.trainer.step, maxSteps: s.config.max_steps });
}

async function start(
  config: RlConfig,
  trainRows: PromptRow[],
  evalRows: PromptRow[],
  evalLimit: number,
  dataset: string,
  heldOut: HeldOutChoice,
  resume: boolean,
  attacks: boolean,
  recipe: string | null,
): Promise<void> {
  if (!loaded) {
    post({ type: 'error', area: 'train', message: 'no model is loaded', recovery: 'Load the demo model or your own in the Model panel first.' });
    return;
  }
  if (session?.state === 'running' || session?.state === 'paused') {
    post({ type: 'error', area: 'train', message: 'a run is already in progress', recovery: 'Pause, resume or stop it first.' });
    return;
  }
  if (config.helpfulness_scorer.kind === 'onnx' && !rewardModel) {
    post({
      type: 'error',
      area: 'train',
      message: 'the helpfulness scorer "onnx" has no reward model',
      recovery: "Give the reward model's .onnx file and its tokenizer.json in the Rewards panel, or choose another helpfulness scorer.",
    });
    return;
  }
  if ((config.reward_judge === 'onnx' || config.eval_judge === 'onnx') && !refusalModel) {
    post({
      type: 'error',
      area: 'train',
      message: 'the "onnx" refusal judge has no classifier',
      recovery: "Give your refusal classifier's .onnx file and its tokenizer.json (and config.json) in the Rewards panel, or choose another refusal judge.",
    });
    return;
  }
  await releaseSession();
  const { checkpoint } = loaded;
  let s: Session;
  try {
    const g = await gpu();
    const model = { maxPositions: Math.min(checkpoint.config.maxPositions, 8192) };
    const train = fittingPrompts(trainRows, checkpoint.tokenizer, config, model.maxPositions, `${dataset} (train)`);
    const heldFit = evalRows.length > 0 && evalLimit > 0 ? fittingPrompts(evalRows, checkpoint.tokenizer, config, model.maxPositions, `${dataset} (eval)`) : null;
    const held = heldFit ? stratifiedSubset(heldFit.rows, evalLimit) : [];
    const refusalClassifier = await refusalClassifierFor(config);
    const { model: policy, reference } = buildPolicy(g, checkpoint, config, resume);
    const maxSeqLen = Math.min(policy.maxPositions, train.longest + config.max_completion_length);
    let trainer: AlphaAlignTrainer;
    try {
      trainer = new AlphaAlignTrainer(policy, checkpoint.tokenizer, config, maxSeqLen, reference, config.helpfulness_scorer.kind === 'onnx' ? rewardModel!.model : null, refusalClassifier, refusalModel?.model ?? null);
    } catch (error) {
      policy.weights.release();
      policy.lora?.weights.release();
      reference?.weights.release();
      throw error;
    }
    const previous = resume ? checkpointRun(checkpoint) : null;
    if (resume) resumeTrainer(trainer, checkpoint);
    s = {
      model: policy,
      reference,
      trainer,
      checkpoint,
      config,
      refusalClassifier,
      train,
      held,
      attacks,
      history: previous ? [...previous.metrics] : [],
      evalHistory: previous ? [...previous.evalHistory] : [],
      dataset,
      datasetSha: await sha256Hex(trainRows.map((r) => `${r.id}\t${r.label}\t${r.prompt}`).join('\n')),
      heldOut: heldOutRecord(heldOut, evalRows.length, held.length),
      recipe,
      state: 'running',
      reportedState: 'running',
      wake: null,
      looping: true,
      exportRequested: null,
      frozenBase: null,
      lastAutosave: null,
    };
    if (trainer.step >= config.max_steps) {
      trainer.release();
      throw new RangeError(`the checkpoint is already at step ${trainer.step}, and the run has max_steps ${config.max_steps}`);
    }
  } catch (error) {
    const recovery =
      error instanceof MemoryPlanError
        ? 'Lower per_device_train_batch_size, max_completion_length or num_generations, or choose LoRA, then start again.'
        : error instanceof RlConfigError || error instanceof RangeError
          ? 'Change the setting it names in the Training panel and start again.'
          : 'Check the settings and the dataset, then start again.';
    fail(error instanceof MemoryPlanError ? 'plan' : 'train', error, recovery);
    return;
  }
  session = s;
  post({ type: 'runStarted', firstStep: s.trainer.step, maxSteps: config.max_steps, trainPrompts: s.train.rows.length, evalPrompts: s.held.length, dropped: s.train.dropped, config });
  setState(s, 'running');
  loopEnded = loop(s);
}

async function loop(s: Session): Promise<void> {
  const { config, trainer } = s;
  try {
    if (trainer.step === 0 && !s.evalHistory.some((p) => p.step === 0)) await runEval(s, s.attacks);
    while (trainer.step < config.max_steps) {
      if (s.state === 'paused') {
        setState(s, 'paused');
        await saveCheckpoint(s, { reason: 'autosave' });
        // Paused, the loop still answers exports, until a resume or a stop.
        while (s.state === 'paused') {
          if (s.exportRequested) await answerExport(s);
          else await untilWoken(s);
        }
      }
      if (s.state === 'stopped') break;
      const { metrics, rollouts } = await trainer.train(promptsForStep(s.train.rows, config.prompts_per_step, config.seed, trainer.step + 1, config.balance_labels), postPhase);
      s.history.push(metrics);
      post({ type: 'step', metrics, rollouts: rollouts.map((r) => rolloutView(metrics.step, r)) });
      if (config.eval_steps > 0 && trainer.step % config.eval_steps === 0 && trainer.step < config.max_steps) await runEval(s);
      await answerExport(s);
      if (trainer.step < config.max_steps && autosaveDue(s, performance.now())) await saveCheckpoint(s, { reason: 'autosave' });
      reportState(s);
    }
    if (s.state !== 'stopped') {
      if (!s.evalHistory.some((p) => p.step === trainer.step)) await runEval(s, s.attacks);
      setState(s, 'finished');
    } else {
      setState(s, 'stopped');
    }
    await saveCheckpoint(s, { reason: 'autosave' });
  } catch (error) {
    s.state = 'stopped';
    if (error instanceof NonFiniteError) {
      // The failed update was skipped: the weights are the last good ones, so keep them.
      fail('train', error, `The run stopped at step ${trainer.step} with its last good weights saved; lower learning_rate or max_grad_norm and resume from the saved checkpoint.`);
      setState(s, 'stopped');
      try {
        await saveCheckpoint(s, { reason: 'autosave' });
      } catch (saveError) {
        fail('export', saveError, 'The weights are still in the worker: try Export.');
      }
    } else {
      fail('train', error, 'The run stopped; the loaded model is unchanged. Check the settings and start again.');
      setState(s, 'stopped');
    }
  } finally {
    // An export asked for during the closing evaluation or the last save gets the last checkpoint.
    while (s.exportRequested) await answerExport(s);
    s.looping = false;
  }
}

async function untilWoken(s: Session): Promise<void> {
  await new Promise<void>((resolve) => (s.wake = resolve));
  s.wake = null;
}

/** Answers an export asked for while the loop was busy, with the checkpoint of its last finished step or what went wrong. */
async function answerExport(s: Session): Promise<void> {
  const adapter = s.exportRequested;
  if (!adapter) return;
  s.exportRequested = null;
  try {
    await saveCheckpoint(s, { reason: 'export', adapter });
  } catch (error) {
    fail('export', error, 'Try again after the current step.');
  }
}

function control(type: 'pause' | 'resume' | 'stop'): void {
  const s = session;
  if (!s || s.state === 'finished' || s.state === 'stopped') {
    post({ type: 'error', area: 'train', message: `nothing to ${type}: no run is in progress`, recovery: 'Start a run in the Training panel.' });
    return;
  }
  // Pause and stop take effect between steps: the loop reports the new state once the step in
  // flight has landed, so the page never shows a paused or stopped run whose step count still moves.
  if (type === 'pause' && s.state === 'running') s.state = 'paused';
  else if (type === 'resume' && s.state === 'paused') {
    setState(s, 'running');
    s.wake?.();
  } else if (type === 'stop') {
    s.state = 'stopped';
    s.wake?.();
  } else if (s.state === s.reportedState) {
    // Asked for what already holds: the state is the answer. (A pause still waiting for its step
    // to land is answered by the loop.)
    reportState(s);
  }
}

/** How to pick an ONNX model's files again, by its role. */
const ONNX_MODEL_RECOVERY: Record<OnnxModelRole, string> = {
  reward: "Give the reward model's .onnx file with its tokenizer.json (and tokenizer_config.json for its chat template), or choose another helpfulness scorer.",
  refusal: "Give your refusal classifier's .onnx file with its tokenizer.json (and config.json for its id2label), or choose another refusal judge.",
};

async function loadOnnxModel(role: OnnxModelRole, files: File[], label: string): Promise<void> {
  try {
    const bytes = new Map(await Promise.all(files.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as const)));
    // onnxruntime-web is loaded only when a model is asked for: a chunk of its own.
    if (role === 'reward') {
      const { rewardModelFromFiles } = await import('../rl/onnxRewardModel.ts');
      rewardModel = { model: await rewardModelFromFiles(bytes, label), label };
    } else {
      const { refusalModelFromFiles } = await import('../rl/onnxRefusalClassifier.ts');
      refusalModel = { model: await refusalModelFromFiles(bytes, label), label };
    }
    post({ type: 'onnxModel', role, label });
  } catch (error) {
    fail(role === 'reward' ? 'rewardModel' : 'refusalModel', error, ONNX_MODEL_RECOVERY[role]);
  }
}

async function exportCheckpoint(adapter: AdapterDownload): Promise<void> {
  const s = session;
  if (!s) {
    post({ type: 'error', area: 'export', message: 'there is no trained model to export yet', recovery: 'Start a run; its checkpoint can be exported at any step.' });
    return;
  }
  s.exportRequested = adapter;
  if (s.looping) {
    // The loop answers it after the step, evaluation or save in flight, or at once when paused.
    s.wake?.();
    return;
  }
  await answerExport(s);
}

// ----------------------------------------------------------------------------------- dispatch

scope.addEventListener('message', (e: MessageEvent<WorkerRequest>) => {
  const message = e.data;
  if (!message || message.v !== PROTOCOL_VERSION) {
    post({ type: 'error', area: 'protocol', message: `the page speaks protocol ${String(message?.v)}, this worker ${PROTOCOL_VERSION}`, recovery: 'Reload the page.' });
    return;
  }
  switch (message.type) {
    case 'pause':
    case 'resume':
    case 'stop':
      control(message.type);
      return;
    case 'load':
      enqueue(() => load(message.source, message.config));
      return;
    case 'plan':
      enqueue(async () => {
        if (!loaded) {
          post({ type: 'error', area: 'plan', message: 'no model is loaded to plan for', recovery: 'Load the demo model or your own in the Model panel first.' });
          return;
        }
        await reportPlan(loaded.checkpoint.config, message.config).catch((error: unknown) => fail('plan', error, 'Check the settings.'));
      });
      return;
    case 'estimate':
      // One queued calibration at most: a newer request replaces the settings it will time.
      if (pendingEstimate === null) enqueue(estimateNewest);
      pendingEstimate = message.config;
      return;
    case 'start':
      // The run's own steps time it from here on.
      pendingEstimate = null;
      enqueue(() => start(message.config, message.train, message.eval, message.evalLimit, message.dataset, message.heldOut, message.resume, message.attacks, message.recipe ?? null));
      return;
    case 'loadOnnxModel':
      enqueue(() => loadOnnxModel(message.role, message.files, message.label));
      return;
    case 'export':
      // In turn with loads and starts, which let go of the run's buffers; during a run the loop
      // answers it, with the checkpoint of the last finished step.
      enqueue(() => exportCheckpoint(message.adapter));
      return;
    case 'bindingCap':
      maxBindingBytes = message.bytes ?? undefined;
      return;
  }
});
