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

/** Column names accepted for each field, in order of preference (DESIGN.md §5). */
export const COLUMN_ALIASES = {
  prompt: ['prompt', 'goal', 'instruction', 'question', 'text'],
  label: ['label', 'harmful', 'is_harmful', 'unsafe', 'safety'],
  reference: ['response', 'reference', 'output', 'answer'],
  split: ['split'],
  type: ['type', 'category'],
  id: ['id'],
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
