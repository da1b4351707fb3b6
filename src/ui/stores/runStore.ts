// The training run: the settings form (validated by parseRlConfig, messages by key), the run's
// state and speed, and the commands sent to the worker. The full config is the demo config, then
// the reward settings (rewardsStore), then the form, then the advanced JSON, later ones winning.
import { create } from 'zustand';
import { DEFAULT_RL_CONFIG, parseRlConfig, RlConfigError, type RlConfig } from '../../rl/config.ts';
import type { RunEstimate, RunPhase } from '../../rl/runProgress.ts';
import { recipeSettings, type RecipeName } from '../../rl/recipes.ts';
import type { StepEstimate } from '../../rl/stepEstimate.ts';
import type { AdapterDownload, RunState } from '../../worker/protocol.ts';
import { sendToWorker } from '../engine.ts';
import { newRunId } from '../runPersistence.ts';
import { getEvalRows, getHeldOutChoice, getTrainRows, useDatasetStore } from './datasetStore.ts';
import { useEvalStore } from './evalStore.ts';
import { useModelStore } from './modelStore.ts';
import { getRewardSettings, useRewardsStore } from './rewardsStore.ts';

export const DEMO_CONFIG_PATH = 'datasets/demo-config.json';

/** The form's fields: a config key (or a nested path) and how the form edits it. */
export const CONFIG_FIELDS = [
  { key: 'max_steps', label: 'Steps', kind: 'int', testId: 'train-steps', help: 'optimisation steps in the run' },
  { key: 'learning_rate', label: 'Learning rate', kind: 'number', help: 'peak AdamW learning rate' },
  { key: 'num_generations', label: 'Completions per prompt', kind: 'int', help: 'the group size n' },
  { key: 'prompts_per_step', label: 'Prompts per step', kind: 'int' },
  { key: 'balance_labels', label: 'Balance harmful and benign', kind: 'bool', help: 'half of each step’s prompts of each label' },
  { key: 'per_device_train_batch_size', label: 'Micro-batch', kind: 'int', help: 'sequences per forward/backward' },
  { key: 'generation_batch_size', label: 'Generation batch', kind: 'int', help: 'completions sampled at once' },
  { key: 'temperature', label: 'Temperature', kind: 'number' },
  { key: 'top_p', label: 'Top-p', kind: 'number' },
  { key: 'max_completion_length', label: 'Max completion tokens', kind: 'int' },
  { key: 'beta', label: 'KL β', kind: 'number', help: '0 skips the reference pass' },
  { key: 'epsilon', label: 'Clip ε (low)', kind: 'number' },
  { key: 'epsilon_high', label: 'Clip ε (high)', kind: 'number' },
  { key: 'num_iterations', label: 'PPO epochs', kind: 'int', help: 'update passes over each step’s rollouts' },
  { key: 'advantage_estimator', label: 'Advantage estimator', kind: 'choice', choices: ['grpo', 'rloo', 'reinforce_pp_baseline', 'gae'] },
  { key: 'scale_rewards', label: 'Scale rewards by group std', kind: 'bool' },
  { key: 'finetune', label: 'Fine-tuning', kind: 'choice', choices: ['lora', 'full'] },
  { key: 'finetune.rank', label: 'LoRA rank', kind: 'int' },
  { key: 'seed', label: 'Seed', kind: 'int' },
  { key: 'eval_steps', label: 'Evaluate every (steps)', kind: 'int', help: '0: only before and after' },
] as const;

export type FieldKey = (typeof CONFIG_FIELDS)[number]['key'];
type FormValues = Record<FieldKey, string>;

export interface RunSpeed {
  tokensPerSecond: number;
}

/** The recipe the settings start from (src/rl/recipes.ts): its name, why, and what does not fit. */
export interface RecipeInUse {
  name: RecipeName;
  reason: string;
  problem: string | null;
}

export interface RunStore {
  ready: boolean;
  /** demo-config.json as fetched: the demo recipe. */
  demoPreset: Record<string, unknown>;
  /** The settings under the form: the recipe's (the demo preset before a model is loaded). */
  base: Record<string, unknown>;
  recipe: RecipeInUse | null;
  /** The worker's step-time estimate and the config it was made for. */
  stepTime: { config: RlConfig; estimate: StepEstimate } | null;
  form: FormValues;
  /** JSON object of any other config keys (template, refusal rules, ...), applied last. */
  advanced: string;
  /** Held-out prompts evaluated at most, before, during and after the run. */
  evalLimit: string;
  config: RlConfig | null;
  /** Problems by form key; problems of other keys under "advanced". */
  errors: Partial<Record<FieldKey | 'advanced' | 'evalLimit' | 'data', string>>;
  state: RunState | 'idle' | 'starting';
  /** The stored run (runPersistence.ts) the worker's run is, or the one last shown; null before any. */
  runId: string | null;
  step: number;
  maxSteps: number;
  firstStep: number;
  /** A pause or stop asked for and not yet in effect: the worker acts between steps. */
  pending: 'pause' | 'stop' | null;
  speed: RunSpeed | null;
  /** The phase in flight while the run goes on (the worker's latest runPhase); null between steps and once it stops. */
  phase: RunPhase | null;
  /** How far the step in flight is and the time left, from the phases' times (wire.ts's StepPhaseTimer). */
  estimate: RunEstimate | null;
  info: string | null;
  error: { message: string; recovery: string } | null;
  init(): Promise<void>;
  setField(key: FieldKey, value: string): void;
  setAdvanced(text: string): void;
  setEvalLimit(text: string): void;
  /** Start the settings from a recipe on the loaded model: its settings under an empty form, said with `reason`. */
  applyRecipe(name: RecipeName, reason: string): Promise<void>;
  /** Fill the form from a config (an imported checkpoint's), so that it composes to that config again. */
  adoptConfig(config: RlConfig): void;
  /**
   * Keeps the record of a run about to start (runHistoryStore, set by wire.ts). start() waits for
   * it before the worker hears of the run, so a reload at any moment after Start finds the run.
   * It never fails: a write that fails is reported there, and the run trains unsaved.
   */
  keepStartingRun(runId: string, config: RlConfig, resume: boolean): Promise<void>;
  /** Start a run, or continue the loaded checkpoint's (`resume`); `runId` names the stored run it continues or restarts. */
  start(resume?: boolean, runId?: string): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): void;
  /** The run's checkpoint as a download; a LoRA run's with its adapter alone (PEFT) or merged into the base. */
  exportCheckpoint(adapter: AdapterDownload): void;
}

function get(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function formFrom(config: RlConfig): FormValues {
  const values = {} as FormValues;
  for (const field of CONFIG_FIELDS) {
    const value = field.key === 'finetune' ? config.finetune.kind : get(config as unknown as Record<string, unknown>, field.key);
    values[field.key] = value === undefined ? (field.key === 'finetune.rank' ? '8' : '') : String(value);
  }
  return values;
}

interface Composed {
  config: RlConfig | null;
  errors: RunStore['errors'];
}

function compose(base: Record<string, unknown>, form: FormValues, advanced: string, evalLimit: string): Composed {
  const errors: RunStore['errors'] = {};
  const json: Record<string, unknown> = { ...base, ...getRewardSettings() };
  for (const field of CONFIG_FIELDS) {
    const raw = form[field.key].trim();
    let value: unknown = raw;
    if (field.kind === 'int' || field.kind === 'number') {
      if (raw === '') {
        errors[field.key] = 'is required';
        continue;
      }
      value = Number(raw);
      if (!Number.isFinite(value)) {
        errors[field.key] = `must be a number, not "${raw}"`;
        continue;
      }
    } else if (field.kind === 'bool') value = raw === 'true';
    if (field.key === 'finetune') continue;
    if (field.key === 'finetune.rank') continue;
    json[field.key] = value;
  }
  json.finetune = form.finetune === 'lora' ? { kind: 'lora', rank: Number(form['finetune.rank']) } : { kind: 'full' };
  if (advanced.trim() !== '') {
    try {
      const extra = JSON.parse(advanced) as unknown;
      if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw new Error('must be a JSON object {"key": value}');
      Object.assign(json, extra);
    } catch (error) {
      errors.advanced = `Advanced settings: ${(error as Error).message}`;
    }
  }
  if (!/^\d+$/.test(evalLimit.trim())) errors.evalLimit = 'must be a whole number (0: no held-out evaluation)';
  let config: RlConfig | null = null;
  try {
    config = parseRlConfig(json);
  } catch (error) {
    if (!(error instanceof RlConfigError)) throw error;
    for (const problem of error.problems) {
      const key = problem.slice(0, problem.indexOf(':'));
      const field = CONFIG_FIELDS.find((f) => f.key === key || (f.key === 'finetune' && key.startsWith('finetune') && key !== 'finetune.rank'));
      const slot: FieldKey | 'advanced' = field ? field.key : 'advanced';
      const message = field ? problem.slice(problem.indexOf(':') + 1).trim() : problem;
      errors[slot] = errors[slot] ? `${errors[slot]}; ${message}` : message;
    }
  }
  return { config: Object.keys(errors).length === 0 ? config : null, errors };
}

// The demo's whole held-out split (289 prompts that fit), so the page reads what `lab eval` and
// the README read; a larger split is sampled in proportion.
const DEFAULT_EVAL_LIMIT = '300';

export const useRunStore = create<RunStore>((set, getState) => {
  const revalidate = (patch: Partial<Pick<RunStore, 'form' | 'advanced' | 'evalLimit' | 'base'>>) => {
    const s = { ...getState(), ...patch };
    set({ ...patch, ...compose(s.base, s.form, s.advanced, s.evalLimit) });
  };
  let initStarted: Promise<void> | null = null;
  return {
    ready: false,
    demoPreset: {},
    base: {},
    recipe: null,
    stepTime: null,
    form: formFrom(DEFAULT_RL_CONFIG),
    advanced: '',
    evalLimit: DEFAULT_EVAL_LIMIT,
    config: DEFAULT_RL_CONFIG,
    errors: {},
    state: 'idle',
    runId: null,
    keepStartingRun: async () => undefined,
    step: 0,
    maxSteps: 0,
    firstStep: 0,
    pending: null,
    speed: null,
    phase: null,
    estimate: null,
    info: null,
    error: null,
    init() {
      return (initStarted ??= (async () => {
        let base: Record<string, unknown> = {};
        try {
          const response = await fetch(new URL(DEMO_CONFIG_PATH, document.baseURI));
          if (response.ok) base = (await response.json()) as Record<string, unknown>;
        } catch {
          base = {};
        }
        let form = formFrom(DEFAULT_RL_CONFIG);
        try {
          form = formFrom(parseRlConfig(base));
        } catch {
          base = {};
        }
        revalidate({ base, form });
        set({ demoPreset: base });
        set({ ready: true });
        // The reward settings live in the Rewards panel's store: follow its edits.
        useRewardsStore.subscribe(() => revalidate({}));
      })());
    },
    setField: (key, value) => revalidate({ form: { ...getState().form, [key]: value } }),
    setAdvanced: (advanced) => revalidate({ advanced }),
    setEvalLimit: (evalLimit) => revalidate({ evalLimit }),
    async applyRecipe(name, reason) {
      await getState().init();
      const { summary, adapter } = useModelStore.getState();
      // The adapter's limits, as the worker's memory verdict takes them.
      const limits = adapter ? { budgetBytes: adapter.budgetBytes, maxStorageBufferBindingSize: adapter.summary.limits.maxStorageBufferBindingSize ?? 2 ** 27 } : null;
      const result = recipeSettings(name, getState().demoPreset, summary?.recipeModel ?? null, limits);
      revalidate({ base: result.settings, form: formFrom(result.config), advanced: '' });
      set({ recipe: { name, reason, problem: result.problem }, stepTime: null });
    },
    adoptConfig(config) {
      const form = formFrom(config);
      // What the form cannot say (the template, the rules, LoRA's alpha, ...) goes to the advanced
      // JSON wherever the demo base and the Rewards panel's settings would give another value.
      const withoutAdvanced = compose(getState().base, form, '', getState().evalLimit).config;
      const differing = Object.fromEntries(
        Object.entries(config).filter(([key, value]) => !withoutAdvanced || JSON.stringify(withoutAdvanced[key as keyof RlConfig]) !== JSON.stringify(value)),
      );
      revalidate({ form, advanced: Object.keys(differing).length > 0 ? JSON.stringify(differing, null, 1) : '' });
    },
    async start(resume = false, runId) {
      const { config, errors } = getState();
      if (!config) {
        set({ error: { message: 'the settings have problems', recovery: Object.values(errors).join(' · ') || 'Fix the fields marked in red.' } });
        return;
      }
      const dataset = useDatasetStore.getState();
      await dataset.init();
      if (useDatasetStore.getState().rows.length === 0) await useDatasetStore.getState().loadDemo();
      const train = getTrainRows();
      if (train.length === 0) {
        set({ error: { message: 'the dataset has no training rows', recovery: 'Load a dataset in the Data panel (or the demo data), with rows outside the eval split.' } });
        return;
      }
      const id = runId ?? newRunId();
      set({ state: 'starting', error: null, info: null, speed: null, phase: null, estimate: null, runId: id });
      await getState().keepStartingRun(id, config, resume);
      sendToWorker({
        type: 'start',
        config,
        train,
        eval: getEvalRows(),
        evalLimit: Number(getState().evalLimit),
        dataset: useDatasetStore.getState().name || 'dataset',
        heldOut: getHeldOutChoice(),
        resume,
        attacks: useEvalStore.getState().attacks,
        recipe: getState().recipe?.name ?? null,
      });
    },
    pause() {
      set({ pending: 'pause' });
      sendToWorker({ type: 'pause' });
    },
    resume: () => sendToWorker({ type: 'resume' }),
    stop() {
      set({ pending: 'stop' });
      sendToWorker({ type: 'stop' });
    },
    exportCheckpoint: (adapter) => sendToWorker({ type: 'export', adapter }),
  };
});
