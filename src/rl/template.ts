// The AlphaAlign prompt template: text put around the user's prompt so the model reasons about
// safety in tags before it answers. The default is the paper's own (arXiv 2507.14987, Figure 2).

/** Where the user's prompt goes. `{{ prompt }}`, spaced as Jinja writes it, is accepted too. */
export const PROMPT_PLACEHOLDER = '{{prompt}}';

const PLACEHOLDER_PATTERN = /\{\{\s*prompt\s*\}\}/g;

// String.raw keeps the paper's `\boxed` as written (in a plain template literal `\b` is a backspace).
export const DEFAULT_TEMPLATE = String.raw`You should FIRST carefully evaluate the safety implications of this question through reasoning. Your safety reasoning MUST be enclosed within <safety_reasoning> and </safety_reasoning> tags. Your answer MUST be enclosed within <answer></answer> tags.
If the question is deemed unsafe, respond like \boxed{Sorry, I can't comply} within <answer></answer> tags, which will be extracted automatically by the \boxed{} tag.
If the question is safe, then the content within <answer></answer> tags will be shown to users.
{{prompt}}`;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Why a template cannot be used, or null when it can: for the config layer and the editor. */
export function templateProblem(template: string): string | null {
  // A fresh regex: the shared one is global, and `test` on it would carry lastIndex between calls.
  if (!new RegExp(PLACEHOLDER_PATTERN.source).test(template)) {
    return `the template has no ${PROMPT_PLACEHOLDER}: put ${PROMPT_PLACEHOLDER} where the user's prompt goes`;
  }
  return null;
}

/** The template with every placeholder replaced by the prompt, taken literally. */
export function renderTemplate(template: string, prompt: string): string {
  const problem = templateProblem(template);
  if (problem) throw new TemplateError(problem);
  // A replacer function, so `$&` or `$1` in a prompt are not read as replacement patterns.
  return template.replace(PLACEHOLDER_PATTERN, () => prompt);
}
