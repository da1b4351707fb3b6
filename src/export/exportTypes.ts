// What an export is made from and what it holds, shared by the TRL and veRL writers.
import type { PromptRow } from '../data/schema.ts';
import type { RlConfig } from '../rl/config.ts';
import type { RefusalClassifier } from '../rl/refusalClassifier.ts';

export type ExportTarget = 'trl' | 'verl';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['trl', 'verl'];

/** The state a run starts from: the data as labelled, the rules and the config as set. */
export interface ExportInput {
  config: RlConfig;
  /** A Hugging Face repo id or a model folder, written into the launch script as given. */
  model: string;
  train: readonly PromptRow[];
  eval: readonly PromptRow[];
  /** Where the rows came from (a file name), written as each row's `source`. */
  trainSource: string;
  evalSource: string;
  /** The learned refusal classifier, when the config judges with it (reward_judge or eval_judge "combined"). */
  refusalClassifier: RefusalClassifier | null;
  /** Where the export came from, recorded beside it (alphaalign_export.json). */
  runCard: Record<string, unknown>;
}

/** One setting written for the target, with why its name or value differs from the lab's. */
export interface MappedSetting {
  key: string;
  /** The value as the target's file spells it (Python expression or Hydra override value). */
  value: string;
  note: string;
}

/** A lab setting the target has no counterpart for, and what the export did about it. */
export interface UnmappedSetting {
  setting: string;
  handling: string;
}

/** The files of an export, by path inside the export folder. */
export type ExportFiles = Map<string, string | Uint8Array>;

/** A run the export cannot hand over faithfully; the message says why and the way out. */
export class ExportError extends Error {
  override name = 'ExportError';
}
