// Supervised fine-tuning: each example is a prompt (as the user turn of the model's chat
// template) and the response to learn; the loss counts only the response tokens and the end
// token after them, each with its part's weight (1 unless the example says otherwise). Batches
// are drawn in a seeded order, so a run replays exactly.
import type { TextTokenizer } from '../model/tokenizer.ts';
import { seededRandom, shuffled } from '../util/random.ts';
import type { LmTrainer, StepResult, TokenBatch } from './lmTrainer.ts';

/** A stretch of a response whose tokens weigh `weight` in the loss (the rest weigh 1). */
export interface ResponsePart {
  text: string;
  weight: number;
}

export interface SftExample {
  prompt: string;
  /** The text to learn, or its parts in order with their loss weights. */
  response: string | readonly ResponsePart[];
}

/** The response as one text, its parts joined. */
export function responseText(example: SftExample): string {
  return typeof example.response === 'string' ? example.response : example.response.map((p) => p.text).join('');
}

export interface EncodedExample {
  /** The prompt's tokens, then the response's and the end token. */
  ids: number[];
  /** The loss weight of predicting each id: 0 for the prompt's, the part's weight after. */
  weights: number[];
}

export function encodeExample(tokenizer: TextTokenizer, eosId: number, example: SftExample): EncodedExample {
  const prompt = tokenizer.encode(tokenizer.applyChatTemplate([{ role: 'user', content: example.prompt }]));
  const parts = typeof example.response === 'string' ? [{ text: example.response, weight: 1 }] : example.response;
  const ids = [...prompt];
  const weights: number[] = prompt.map(() => 0);
  for (const { text, weight } of parts) {
    if (!(weight >= 0 && Number.isFinite(weight))) throw new RangeError(`SFT: a response part weighs ${weight}; weights are finite and not negative`);
    for (const id of tokenizer.encode(text)) {
      ids.push(id);
      weights.push(weight);
    }
  }
  // Parts are tokenized one by one; where a cut splits what the tokenizer would merge, the model
  // would learn tokens it never sees at inference.
  const whole = responseText(example);
  if (parts.length > 1 && tokenizer.encode(whole).join() !== ids.slice(prompt.length).join()) {
    throw new RangeError(`SFT: the response parts of "${whole.slice(0, 60)}…" tokenize differently from the whole; cut them where the tokenizer splits (before a space)`);
  }
  ids.push(eosId);
  weights.push(1);
  return { ids, weights };
}

/** B examples packed into one batch of T positions; longer ones are cut, shorter ones padded. */
export function packBatch(examples: readonly EncodedExample[], T: number, padId: number): TokenBatch {
  const tokens: number[] = [];
  const targets: number[] = [];
  const mask: number[] = [];
  for (const { ids, weights } of examples) {
    for (let t = 0; t < T; t++) {
      const hasTarget = t + 1 < ids.length;
      tokens.push(t < ids.length ? ids[t]! : padId);
      targets.push(hasTarget ? ids[t + 1]! : padId);
      // Position t predicts ids[t + 1], with that token's weight (0 in the prompt).
      mask.push(hasTarget ? weights[t + 1]! : 0);
    }
  }
  return { tokens, targets, mask };
}

export interface SftSettings {
  steps: number;
  seed: number;
}

/**
 * Trains with `trainer` (its batch shape B × T) on the examples, drawing batches in a seeded,
 * reshuffled-per-epoch order; calls onStep after every step with its loss and grad norm.
 */
export async function runSft(
  trainer: LmTrainer,
  tokenizer: TextTokenizer,
  examples: readonly SftExample[],
  settings: SftSettings,
  onStep?: (step: number, result: StepResult) => void,
): Promise<StepResult[]> {
  if (examples.length === 0) throw new RangeError('SFT needs at least one example');
  const eos = trainer.model.config.eosTokenIds[0];
  if (eos === undefined) throw new RangeError('the model config names no eos_token_id, which SFT appends to every response');
  const encoded = examples.map((e) => encodeExample(tokenizer, eos, e));
  const random = seededRandom(settings.seed);
  let order: EncodedExample[] = [];
  const results: StepResult[] = [];
  for (let step = 1; step <= settings.steps; step++) {
    const batch: EncodedExample[] = [];
    while (batch.length < trainer.B) {
      if (order.length === 0) order = shuffled(encoded, random);
      batch.push(order.pop()!);
    }
    const result = await trainer.step([packBatch(batch, trainer.T, eos)]);
    results.push(result);
    onStep?.(step, result);
  }
  return results;
}
