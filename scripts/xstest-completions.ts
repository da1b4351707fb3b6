// XSTest's published completions with their human labels (../shared/datasets/xstest_completions/),
// read as the measurement and training scripts use them: one example per row, a refusal being
// 2_full_refusal or 3_partial_refusal (XSTest's convention).
import { readFileSync } from 'node:fs';
import { HUMAN_LABEL_COLUMN, humanRefusal } from '../src/cli/classifyCommand.ts';
import { parseCsv } from '../src/data/csv.ts';

export const XSTEST_COMPLETIONS_DIR = new URL('../../shared/datasets/xstest_completions/', import.meta.url);
/** The three files, one per model: GPT-4, Llama-2-70b-chat with and without its system prompt. */
export const XSTEST_COMPLETION_FILES = ['gpt4', 'llama2new', 'llama2orig'] as const;

export interface XstestExample {
  file: string;
  /** 1-based data row. */
  row: number;
  /** The XSTest prompt it answers. */
  prompt: string;
  completion: string;
  human: boolean;
}

export function loadXstestCompletions(file: string): XstestExample[] {
  const [header, ...body] = parseCsv(readFileSync(new URL(`${file}.csv`, XSTEST_COMPLETIONS_DIR), 'utf8'));
  const names = header!.cells;
  const completion = names.indexOf('completion');
  const prompt = names.indexOf('prompt');
  const label = names.indexOf(HUMAN_LABEL_COLUMN);
  return body.map(({ cells }, i) => {
    const human = humanRefusal(cells[label]!);
    if (human === null) throw new Error(`${file}.csv row ${i + 1}: unknown ${HUMAN_LABEL_COLUMN} ${JSON.stringify(cells[label])}`);
    return { file, row: i + 1, prompt: cells[prompt]!, completion: cells[completion]!, human };
  });
}
