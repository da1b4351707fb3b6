// Routes the training worker's events into the stores, once per page.
import { recipeFor } from '../../rl/recipes.ts';
import { StepPhaseTimer, stepsDoneAt } from '../../rl/runProgress.ts';
import { counted } from '../../util/plural.ts';
import type { WorkerEvent } from '../../worker/protocol.ts';
import { downloadBytes } from '../download.ts';
import { onWorkerEvent, sendToWorker } from '../engine.ts';
import { useEvalStore } from './evalStore.ts';
import { useMetricsStore } from './metricsStore.ts';
import { useModelStore } from './modelStore.ts';
import { onnxModelStores } from './onnxModelStores.ts';
import { keepStartingRun, recordWorkerEvent, useRunHistoryStore } from './runHistoryStore.ts';
import { useRolloutsStore } from './rolloutsStore.ts';
import { useRunStore } from './runStore.ts';

let wired = false;
/** Times the run's phases as their events arrive, for the progress bar within a step and the ETA. */
let phaseTimer = new StepPhaseTimer();

export function wireWorkerEvents(): void {
  if (wired) return;
  wired = true;
  useModelStore.setState({ planConfig: () => useRunStore.getState().config ?? useModelStore.getInitialState().planConfig() });
  useRunStore.setState({ keepStartingRun });
  onWorkerEvent((e) => {
    handle(e);
    recordWorkerEvent(e);
  });
  void useRunHistoryStore.getState().restoreInterrupted();
}

function handle(e: WorkerEvent): void {
  const model = useModelStore.setState;
  const run = useRunStore.setState;
  switch (e.type) {
    case 'gpu':
      model({ adapter: { summary: e.adapter, budgetBytes: e.budgetBytes } });
      return;
    case 'loadProgress':
      model({ progress: { phase: e.phase, done: e.done, total: e.total, label: e.label } });
      return;
    case 'downloadProgress':
      useModelStore.getState().downloadProgress({ file: e.file, received: e.received, total: e.total });
      return;
    case 'plan':
      model({ plan: { plan: e.plan, shape: e.shape } });
      return;
    case 'estimate':
      run({ stepTime: { config: e.config, estimate: e.estimate } });
      return;
    case 'loaded': {
      model({ status: 'ready', summary: e.model, progress: null, error: null });
      const saved = e.model.run;
      if (!saved?.config) {
        const { name, reason } = recipeFor(e.model.recipeModel);
        void useRunStore.getState().applyRecipe(name, reason);
      }
      if (saved) {
        useMetricsStore.getState().reset(saved.metrics);
        useEvalStore.getState().reset(saved.evalHistory);
        useRolloutsStore.getState().reset();
        if (saved.config) useRunStore.getState().adoptConfig(saved.config);
        // A run's checkpoint continues with its own settings, not a recipe's.
        if (saved.config) run({ recipe: null, stepTime: null });
        run({
          state: 'idle',
          step: saved.step,
          maxSteps: saved.config?.max_steps ?? saved.step,
          info: saved.resumable ? `Loaded a checkpoint at step ${saved.step}: set the steps above ${saved.step} and resume it.` : null,
        });
      }
      return;
    }
    case 'onnxModel':
      onnxModelStores[e.role].setState({ status: 'ready', label: e.label, error: null });
      return;
    case 'error':
      if (e.area === 'rewardModel' || e.area === 'refusalModel') {
        onnxModelStores[e.area === 'rewardModel' ? 'reward' : 'refusal'].setState({ status: 'error', error: { message: e.message, recovery: e.recovery } });
      } else if (e.area === 'load' || e.area === 'gpu') {
        const hasModel = useModelStore.getState().summary !== null;
        // The plan shown may be the failed model's: the one still loaded is planned again.
        model({ status: hasModel ? 'ready' : 'error', progress: null, plan: null, error: { message: e.message, recovery: e.recovery } });
        if (hasModel && e.area === 'load') sendToWorker({ type: 'plan', config: useModelStore.getState().planConfig() });
      } else {
        const state = useRunStore.getState().state;
        run({ error: { message: e.message, recovery: e.recovery }, ...(state === 'starting' ? { state: 'idle' as const } : {}) });
      }
      return;
    case 'runStarted':
      if (e.firstStep === 0) {
        useMetricsStore.getState().reset();
        useEvalStore.getState().reset();
      }
      useRolloutsStore.getState().reset();
      phaseTimer = new StepPhaseTimer();
      run({
        phase: null,
        estimate: null,
        firstStep: e.firstStep,
        step: e.firstStep,
        maxSteps: e.maxSteps,
        info:
          `Training on ${counted(e.trainPrompts, 'prompt')}${e.dropped > 0 ? ` (${e.dropped} too long for the model's context left out)` : ''}` +
          (e.evalPrompts > 0
            ? `, evaluating ${counted(e.evalPrompts, 'held-out prompt')}.`
            : '. Nothing will be evaluated: there are no held-out prompts (the dataset has no eval split, or the limit is 0), so the Eval panel and the held-out chart lines stay empty.'),
      });
      return;
    case 'runPhase': {
      const now = performance.now();
      phaseTimer.observe(e.phase, now);
      run({ phase: e.phase, estimate: phaseTimer.estimate(stepsDoneAt(e.phase), useRunStore.getState().maxSteps, now) });
      return;
    }
    case 'evalProgress':
      useEvalStore.getState().setProgress({ step: e.step, done: e.done, total: e.total });
      return;
    case 'eval':
      useEvalStore.getState().add(e.point);
      // The evaluation's phase is over; the next step's, if any, comes with the step.
      if (useRunStore.getState().phase?.kind === 'evaluating') run({ phase: null });
      return;
    case 'step': {
      useMetricsStore.getState().add(e.metrics);
      useRolloutsStore.getState().add(e.metrics.step, e.rollouts);
      const now = performance.now();
      phaseTimer.stepEnded(now);
      const estimate = phaseTimer.estimate(e.metrics.step, useRunStore.getState().maxSteps, now);
      run({ step: e.metrics.step, phase: null, estimate, speed: { tokensPerSecond: e.metrics.tokens_per_second } });
      return;
    }
    case 'runState': {
      // A pending pause or stop is over once the state says so (or the run ended on its own).
      const pending = useRunStore.getState().pending;
      const settled = pending === 'pause' ? e.state !== 'running' : pending === 'stop' ? e.state === 'stopped' || e.state === 'finished' : true;
      run({ state: e.state, step: e.step, maxSteps: e.maxSteps, ...(e.state === 'running' ? {} : { phase: null }), ...(settled ? { pending: null } : {}) });
      return;
    }
    case 'checkpoint':
      // Autosaves are kept by runHistoryStore (recordWorkerEvent).
      if (e.reason === 'export') downloadBytes(e.bytes, e.fileName, 'application/zip');
      return;
  }
}
