// The typed messages between the page and the training worker (src/worker/trainingWorker.ts).
// Requests go page → worker, events worker → page; both are discriminated unions on `type`,
// stamped with the protocol version so a stale cached worker is told apart from a current one.
// Everything here survives structured clone: plain data, File objects and ArrayBuffers (which the
// sender transfers). Long work happens only in the worker; the page just renders events.
// Every request but the bindingCap setting is answered, in any run state: with the events it asks
// for, or with an `error` saying why not.
import type { PromptRow } from '../data/schema.ts';
import type { HeldOutChoice } from '../data/splits.ts';
import type { AdapterSummary } from '../gpu/adapter.ts';
import type { MemoryPlan, RunShape } from '../model/memoryPlanner.ts';
import type { RlConfig } from '../rl/config.ts';
import type { EvalReport } from '../rl/evaluation.ts';
import type { StepMetrics } from '../rl/metrics.ts';
import type { RunPhase } from '../rl/runProgress.ts';
import type { RecipeModel } from '../rl/recipes.ts';
import type { StepEstimate } from '../rl/stepEstimate.ts';

export const PROTOCOL_VERSION = 1;

/** Where the model comes from. */
export type ModelSourceSpec =
  /** A folder served over HTTP by the page itself: the built-in demo model (/models/demo/). */
  | { kind: 'url'; baseUrl: string; label: string }
  /**
   * A Hugging Face repo id, fetched by the browser from the Hub's address (the page setting,
   * huggingface.co unless changed), with the user's access token for a gated repo, if given.
   */
  | { kind: 'hub'; repoId: string; revision: string; baseUrl: string; token: string | null }
  /**
   * A Hugging Face folder's files dropped onto the page or picked with a file input. `hub`: where
   * the base of a LoRA adapter dropped without it (TRL's output) is fetched from (the page's Hub
   * address and token; null while the address setting is not one).
   */
  | { kind: 'files'; files: File[]; label: string; hub: { baseUrl: string; token: string | null } | null }
  /**
   * A checkpoint zip (checkpointZip's format), e.g. an exported run to resume. `base`: a LoRA run's
   * autosave holds the adapter alone; its frozen base is kept once per run (runPersistence.ts) and
   * comes with it, or, with `files` null when it is no longer kept, is the loaded model when that is
   * the same base (the same content hash).
   */
  | { kind: 'zip'; bytes: ArrayBuffer; name: string; base?: FrozenBase & { files: ArrayBuffer | null } };

/** A LoRA run's frozen base: sha256 of its model.safetensors as stored (baseContentHash), and the model's label. */
export interface FrozenBase {
  sha256: string;
  label: string;
}

/** How a LoRA run's download holds its adapter: alone in PEFT's layout, or merged into the base in the base's precision. */
export type AdapterDownload = 'alone' | 'merged';

export type WorkerRequestBody =
  /** Load a model; `config` sizes the memory planner's verdict, reported before the weights load. */
  | { type: 'load'; source: ModelSourceSpec; config: RlConfig }
  /** The memory verdict for the loaded model under another config (the Training panel's); an `error` when none is loaded. */
  | { type: 'plan'; config: RlConfig }
  /**
   * Train. `resume`: continue the loaded checkpoint's run (its step, optimiser moments and metrics)
   * instead of starting at step 0. `evalLimit`: held-out prompts evaluated at most (0 for none),
   * a stratified subset. `attacks`: the evaluations before and after training also put the
   * held-out harmful prompts in every jailbreak template (src/rl/attacks.ts; never trained on).
   * `recipe`: the recipe the settings started from (src/rl/recipes.ts), for the run card.
   */
  | { type: 'start'; config: RlConfig; train: PromptRow[]; eval: PromptRow[]; evalLimit: number; dataset: string; heldOut: HeldOutChoice; resume: boolean; attacks: boolean; recipe?: string | null }
  /**
   * How long a step of `config` will take on the loaded model: a short calibration on a one-layer
   * slice (src/rl/stepEstimate.ts), answered with an `estimate` event, or an `error` of area "plan".
   */
  | { type: 'estimate'; config: RlConfig }
  /**
   * One of the user's ONNX models, its files picked by the user: the helpfulness scorer "onnx"'s
   * reward model (.onnx, tokenizer.json, tokenizer_config.json) or the "onnx" refusal judge's
   * classifier (.onnx, tokenizer.json, config.json).
   */
  | { type: 'loadOnnxModel'; role: OnnxModelRole; files: File[]; label: string }
  /**
   * Answered with a `runState` event (a pause or a stop once the step in flight has landed; one that
   * changes nothing, with the state as it is), or an `error` when no run is in progress.
   */
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /**
   * The current run's checkpoint zip, answered with a `checkpoint` event of reason "export", or an
   * `error` of area "export". `adapter`: how a LoRA run's adapter comes (a full fine-tuning run's
   * checkpoint holds its weights). Asked for during a run, it comes after the step, evaluation or save in
   * flight (the closing evaluation included), at once when paused.
   */
  | { type: 'export'; adapter: AdapterDownload }
  /**
   * The page's binding cap (the GPU panel's, LAB_MAX_BINDING_MIB's twin), in bytes, or null for
   * the adapter's own limit: the device the worker opens for its first model works to it, storing
   * larger tensors as row blocks. Sent before any load; a later change applies after a reload.
   */
  | { type: 'bindingCap'; bytes: number | null };

export type WorkerRequest = WorkerRequestBody & { v: typeof PROTOCOL_VERSION };

/** What the page shows about a loaded model. */
export interface ModelSummary {
  label: string;
  architecture: string;
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  maxPositions: number;
  parameters: number;
  /** A LoRA adapter came with the files. */
  hasAdapter: boolean;
  /** What the loader warns of (LoadedModel.warnings), shown with the model. */
  warnings: string[];
  /** The run recorded in a checkpoint's alphaalign_run.json, when the files are a checkpoint. */
  run: CheckpointRun | null;
  /** What the recipes need of the model (src/rl/recipes.ts): the page picks and plans its recipe from it. */
  recipeModel: RecipeModel;
}

export interface CheckpointRun {
  step: number;
  /** Whether optimizer.safetensors came along, so the run can resume exactly. */
  resumable: boolean;
  config: RlConfig | null;
  metrics: StepMetrics[];
  eval: EvalReport | null;
  evalBefore: EvalReport | null;
  evalHistory: EvalPoint[];
}

/** A held-out evaluation at a step (0 = before training). */
export interface EvalPoint {
  step: number;
  report: EvalReport;
}

/** One rollout as the Rollouts panel shows it: plain text and numbers only. */
export interface RolloutView {
  step: number;
  promptId: string;
  prompt: string;
  label: 'harmful' | 'benign';
  type: string | null;
  text: string;
  reasoning: string | null;
  answer: string | null;
  formatScore: 0 | 1;
  formatReason: string | null;
  refusalScore: 0 | 1;
  /** The first refusal rule that matched, as "kind: pattern"; null when none did. */
  matchedRule: string | null;
  rewardSafety: number;
  rewardHelpfulness: number;
  reward: number;
  advantage: number;
  length: number;
  clipped: boolean;
}

export type RunState = 'running' | 'paused' | 'stopped' | 'finished';

/** Where an error happened; the page keeps everything else loaded. */
export type ErrorArea = 'gpu' | 'load' | 'plan' | 'train' | 'export' | 'protocol' | 'rewardModel' | 'refusalModel';

/** What a user's ONNX model is for: the helpfulness scorer "onnx", or the "onnx" refusal judge. */
export type OnnxModelRole = 'reward' | 'refusal';

export type WorkerEventBody =
  | { type: 'gpu'; adapter: AdapterSummary; budgetBytes: number }
  | { type: 'loadProgress'; phase: 'config' | 'weights'; done: number; total: number; label: string }
  /** One model file's download: bytes so far of its Content-Length (null when the server gave none). */
  | { type: 'downloadProgress'; file: string; received: number; total: number | null }
  | { type: 'plan'; plan: MemoryPlan; shape: RunShape }
  /** The step-time estimate for `config` (the estimate request's). */
  | { type: 'estimate'; config: RlConfig; estimate: StepEstimate }
  | { type: 'loaded'; model: ModelSummary }
  /** One of the user's ONNX models is ready (loadOnnxModel's). */
  | { type: 'onnxModel'; role: OnnxModelRole; label: string }
  | { type: 'runStarted'; firstStep: number; maxSteps: number; trainPrompts: number; evalPrompts: number; dropped: number; config: RlConfig }
  | { type: 'evalProgress'; step: number; done: number; total: number }
  /** The phase in flight (an evaluation, or a step's generating, judging or updating): as it begins and after each unit. */
  | { type: 'runPhase'; phase: RunPhase }
  | { type: 'eval'; point: EvalPoint }
  | { type: 'step'; metrics: StepMetrics; rollouts: RolloutView[] }
  | { type: 'runState'; state: RunState; step: number; maxSteps: number }
  /**
   * A checkpoint zip: asked for (export), or the worker's own save for the page's storage (autosave)
   * after a pause, a stop, the end, and after steps as often as it stays cheap (trainingWorker.ts).
   */
  | {
      type: 'checkpoint';
      reason: 'export' | 'autosave';
      bytes: ArrayBuffer;
      step: number;
      fileName: string;
      /**
       * A LoRA run's autosave holds the adapter and the optimiser state alone, on this frozen base;
       * `files` (a zip of frozenBaseFiles) comes with the first autosave of the run in this worker,
       * for the page to keep once, and is null after. Null for a full fine-tuning run and exports.
       */
      base: (FrozenBase & { files: ArrayBuffer | null }) | null;
    }
  | { type: 'error'; area: ErrorArea; message: string; recovery: string };

export type WorkerEvent = WorkerEventBody & { v: typeof PROTOCOL_VERSION };

export function request(body: WorkerRequestBody): WorkerRequest {
  return { ...body, v: PROTOCOL_VERSION };
}

export function event(body: WorkerEventBody): WorkerEvent {
  return { ...body, v: PROTOCOL_VERSION };
}
