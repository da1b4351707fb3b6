// One labelled prompt: all AlphaAlign needs is the prompt and whether it is harmful.
export type Label = 'harmful' | 'benign';
export type Split = 'train' | 'eval';

export interface PromptRow {
  /** Stable within a dataset: the file's own id column, or the row's line number. */
  id: string;
  prompt: string;
  label: Label;
  /** A reference answer (benign rows), for the overlap helpfulness scorer and SFT. */
  reference?: string;
  split?: Split;
  /** A breakdown key for evaluation: XSTest's type, a category, or the source dataset. */
  type?: string;
}

/**
 * Column names accepted for each field, in order of preference (DESIGN.md §5), lower case: CSV
 * headers and JSON keys are matched without regard to case. Beyond the generic names, those the
 * published safety sets use:
 * - HarmBench's behaviours: `Behavior`, `SemanticCategory`, `BehaviorID`, and `ContextString`
 *   for its contextual behaviours (put before the behaviour, as HarmBench's own prompts do);
 * - JailbreakBench: `Goal`, `Category`, `Index` (its `Behavior` is a short title, so `goal` comes
 *   first; its `Target`, like AdvBench's, is an attack's target string, not a reference answer);
 * - StrongREJECT: `forbidden_prompt`, `category`;
 * - SimpleSafetyTests: `prompts_final`, `harm_area` (before `category`, which there is the kind
 *   of request: "Information and advice seeking", "Instructions and actions");
 * - CoCoNot and OR-Bench: `prompt`, `category`.
 */
export const COLUMN_ALIASES = {
  prompt: ['prompt', 'goal', 'behavior', 'forbidden_prompt', 'prompts_final', 'instruction', 'question', 'text'],
  label: ['label', 'harmful', 'is_harmful', 'unsafe', 'safety'],
  reference: ['response', 'reference', 'output', 'answer'],
  split: ['split'],
  type: ['type', 'semanticcategory', 'harm_area', 'category'],
  id: ['id', 'behaviorid', 'index'],
  context: ['contextstring'],
} as const;

const HARMFUL = new Set(['harmful', 'unsafe', '1', 'true', 'yes']);
const BENIGN = new Set(['benign', 'safe', '0', 'false', 'no']);

/** A label cell as the lab reads it, or null when it means neither. */
export function parseLabel(value: unknown): Label | null {
  const text = String(value ?? '').trim().toLowerCase();
  if (HARMFUL.has(text)) return 'harmful';
  if (BENIGN.has(text)) return 'benign';
  return null;
}

export function parseSplit(value: unknown): Split | null {
  const text = String(value ?? '').trim().toLowerCase();
  if (['train', 'training'].includes(text)) return 'train';
  if (['eval', 'test', 'validation', 'valid', 'dev', 'heldout', 'held-out'].includes(text)) return 'eval';
  return null;
}
