// Text to token ids and back with the model's own tokenizer.json (@huggingface/tokenizers),
// and a conversation to the model's prompt text with its chat template (@huggingface/jinja).
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export class TextTokenizer {
  /** One past the largest token id the tokenizer can produce: must fit the embedding's rows. */
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;
  private readonly chatTemplate: Template | null;
  private readonly specialTokens: Record<string, string>;

  constructor(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, fileName = 'tokenizer.json') {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig);
    } catch (error) {
      throw new TokenizerError(`${fileName} could not be read as a Hugging Face tokenizer: ${String(error)}`);
    }
    let maxId = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const template = tokenizerConfig.chat_template;
    this.chatTemplate = typeof template === 'string' ? new Template(template) : null;
    this.specialTokens = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const value = tokenizerConfig[key];
      const content = typeof value === 'string' ? value : (value as { content?: string } | null)?.content;
      if (typeof content === 'string') this.specialTokens[key] = content;
    }
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== null;
  }

  encode(text: string): number[] {
    // Chat templates already write the special tokens they want into the text.
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** The prompt text for a conversation; without a chat template, the messages' text alone. */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    if (!this.chatTemplate) return messages.map((m) => m.content).join('\n');
    return this.chatTemplate.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      ...this.specialTokens,
    });
  }
}
