// The usual recipe AlphaAlign is measured against (its paper's SFT baseline): supervised
// fine-tuning that maps harmful prompts straight to a canonical refusal and benign prompts to
// their reference answers, with no safety reasoning. Rows of neither kind (benign without a
// reference) are left out.
import type { PromptRow } from '../data/schema.ts';
import { renderTemplate } from '../rl/template.ts';
import type { SftExample } from './sft.ts';

export const CANONICAL_REFUSAL = "Sorry, I can't comply";

/** The baseline's examples; `template` wraps prompts as AlphaAlign's rollouts and evaluation see them. */
export function directRefusalExamples(rows: readonly PromptRow[], template: string): SftExample[] {
  const examples: SftExample[] = [];
  for (const row of rows) {
    const prompt = renderTemplate(template, row.prompt);
    if (row.label === 'harmful') examples.push({ prompt, response: CANONICAL_REFUSAL });
    else if (row.reference) examples.push({ prompt, response: row.reference });
  }
  return examples;
}
