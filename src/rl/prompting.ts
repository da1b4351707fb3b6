// What the policy sees: the AlphaAlign template around the user's prompt, as the user turn of
// the model's own chat template, tokenized. Rollouts and evaluation both start here.
import type { TextTokenizer } from '../model/tokenizer.ts';
import { renderTemplate } from './template.ts';

export function promptIds(tokenizer: TextTokenizer, template: string, prompt: string): number[] {
  return tokenizer.encode(tokenizer.applyChatTemplate([{ role: 'user', content: renderTemplate(template, prompt) }]));
}

