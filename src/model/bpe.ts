// Training a byte-level BPE tokenizer (GPT-2's scheme) on a corpus, written as a tokenizer.json
// that @huggingface/tokenizers loads like any published one. The demo model is trained from
// scratch by the lab's own engine, so it needs a tokenizer fitted to the lab's own text.

/** GPT-2's reversible map from bytes to printable characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return chars;
}

/** GPT-2's pre-tokenizer pattern, the one ByteLevel applies (use_regex: true). */
const PRE_TOKENIZER = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface BpeTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  vocabSize: number;
}

/**
 * Learns merges until the vocabulary (256 byte symbols + merges + special tokens) reaches
 * `vocabSize`, most frequent pair first (ties broken by the pair's text, so it is deterministic).
 */
export function trainByteLevelBpe(corpus: readonly string[], vocabSize: number, specialTokens: readonly string[]): BpeTokenizerFiles {
  const byteChars = bytesToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const text of corpus) {
    for (const piece of text.match(PRE_TOKENIZER) ?? []) {
      const mapped = Array.from(encoder.encode(piece), (b) => byteChars[b]!).join('');
      wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
    }
  }
  // Each distinct word as its current symbols.
  const words = [...wordCounts].map(([word, count]) => ({ symbols: Array.from(word), count }));
  const vocab = new Map<string, number>(byteChars.map((c, i) => [c, i]));
  const merges: string[] = [];
  const targetMerges = vocabSize - specialTokens.length - vocab.size;
  while (merges.length < targetMerges) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: string | null = null;
    let bestCount = 1; // a pair seen once is not worth a token
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== null && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null) break;
    const [left, right] = best.split(' ') as [string, string];
    const merged = left + right;
    merges.push(best);
    vocab.set(merged, vocab.size);
    for (const word of words) {
      const s = word.symbols;
      const next: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
          next.push(merged);
          i++;
        } else next.push(s[i]!);
      }
      word.symbols = next;
    }
  }
  const firstSpecial = vocab.size;
  const addedTokens = specialTokens.map((content, i) => ({
    id: firstSpecial + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    vocabSize: firstSpecial + specialTokens.length,
    tokenizerJson: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(vocab),
        merges,
      },
    },
  };
}
