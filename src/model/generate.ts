// Sampling replies: a batched prefill of the prompts into a KV cache, then one token per step for
// every sequence, sampled on the GPU. Prompts of different lengths are left-padded to the longest,
// so every row's next token sits in the same column; rope and attention skip each row's pad
// columns (Activations.leftPadding). The sampled ids go straight into the next step's input
// buffer; the CPU reads them back, a block of steps at a time, only to spot end-of-sequence and
// stop strings, and whether the sampler met non-finite logits (then generation stops and says so).
import type { Dispatch, Tensor } from '../gpu/gpu.ts';
import { sampleTokens, type SamplingDispatch } from '../gpu/kernels/sampling.ts';
import { Activations, buildForward, KvCache, type ForwardPass, type LlamaModel } from './llama.ts';
import { GraphsByLength } from './graphsByLength.ts';
import { prefillGraphBytes } from './memoryPlanner.ts';

export interface GenerationOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  /** Token ids that end a sequence (the model's EOS). */
  stopTokenIds: readonly number[];
  /** Texts that end a sequence once the decoded reply contains them (e.g. "</answer>"). */
  stopStrings?: readonly string[];
  /** Turns ids into text, for stop strings. */
  decode?: (ids: number[]) => string;
  /**
   * Decode steps queued between read-backs of the sampled ids (default 8): the CPU checks for
   * end-of-sequence and stop strings once per block, and the replies are the same for any value.
   */
  readbackEvery?: number;
}

const DEFAULT_READBACK_EVERY = 8;

/** The model's logits held NaN or ±Inf: nothing was sampled from them (its weights or inputs are not finite). */
export class NonFiniteLogitsError extends Error {
  override name = 'NonFiniteLogitsError';
  constructor(
    readonly row: number,
    readonly tokenIndex: number,
  ) {
    super(`the logits for token ${tokenIndex + 1} of reply ${row + 1} in its batch hold NaN or ±Inf (the weights or activations are not finite), so nothing was sampled`);
  }
}

export interface Generation {
  /** The new tokens, up to and including the one that stopped the sequence. */
  tokens: number[];
  finishReason: 'stop' | 'length';
}

interface Graph {
  acts: Activations;
  logprob: Tensor;
  pass: ForwardPass;
  sampler: SamplingDispatch;
  dispatches: Dispatch[];
}

export class Generator {
  private readonly cache: KvCache;
  /** (B) u32: the sampler's step + 1 at which each row's logits were first non-finite, 0 if never. */
  private readonly nonFinite: Tensor;
  private readonly decodeGraph: Graph;
  /** Prefill graphs by (padded) prompt length, within the planned bytes of one at Tmax (GraphsByLength). */
  private readonly prefillGraphs: GraphsByLength<Graph>;

  constructor(
    readonly model: LlamaModel,
    readonly B: number,
    readonly Tmax: number,
  ) {
    if (Tmax > model.maxPositions) throw new RangeError(`generation length ${Tmax} exceeds the model's ${model.maxPositions} positions`);
    this.cache = new KvCache(model.gpu, model.config, B, Tmax);
    this.nonFinite = model.gpu.tensor([B], 'non-finite rows');
    this.decodeGraph = this.graph(1);
    const run = { generationBatch: B, generationLen: Tmax, finetune: model.lora ? { kind: 'lora' as const, ...model.lora.settings } : { kind: 'full' as const } };
    this.prefillGraphs = new GraphsByLength(
      (length) => prefillGraphBytes(model.config, run, length),
      prefillGraphBytes(model.config, run, Tmax),
      (length) => this.graph(length),
      // An evicted graph's buffers are freed, not pooled: a prompt length once evicted is seldom
      // met again soon, and the pool keeps what it is given unless a run's plan bounds it (lab
      // eval's does not), so evaluating prompts of many lengths would pile them up.
      (graph) => model.gpu.pool.discarding(() => this.releaseGraph(graph)),
    );
  }

  private graph(T: number): Graph {
    const { gpu, config } = this.model;
    // Only run forward: the layers share one set of activations.
    const acts = new Activations(this.model, this.B, T, { Tkv: this.Tmax, logitRows: this.B, logits: true, layers: 'forward' });
    if (acts.logitRows) gpu.write(acts.logitRows.index, Uint32Array.from({ length: this.B }, (_, b) => b * T + T - 1));
    const pass = buildForward(this.model, acts, { cache: this.cache });
    // Every graph samples into the decode graph's input ids, the next step's tokens (while the
    // constructor builds the decode graph itself, that is its own input).
    const target = this.decodeGraph?.acts.tokens ?? acts.tokens;
    const logprob = gpu.tensor([this.B], 'sampled logprob');
    const sampler = sampleTokens(gpu, target, logprob, this.nonFinite, acts.logits!, this.B, config.vocabSize, { temperature: 1, seed: 0 });
    return { acts, logprob, pass, sampler, dispatches: [...pass.dispatches, sampler] };
  }

  /** Replies to B prompts (token ids, any lengths), sampled with `options`. */
  async generate(prompts: readonly (readonly number[])[], options: GenerationOptions): Promise<Generation[]> {
    const { gpu } = this.model;
    if (prompts.length !== this.B) throw new RangeError(`${prompts.length} prompts for a generator of batch ${this.B}`);
    if (prompts.some((p) => p.length === 0)) throw new RangeError('generate needs non-empty prompts');
    const Tp = Math.max(...prompts.map((p) => p.length));
    const steps = Math.min(options.maxNewTokens, this.Tmax - Tp);
    if (steps < 1) throw new RangeError(`a prompt of ${Tp} tokens leaves no room in a context of ${this.Tmax}`);

    const prefill = this.prefillGraphs.get(Tp);
    const sampling = { temperature: options.temperature, topK: options.topK ?? 0, topP: options.topP ?? 1, seed: options.seed };
    // Pad columns hold token 0: any id will do, no real token attends to them.
    const leftPadding = Uint32Array.from(prompts, (p) => Tp - p.length);
    const tokens = new Uint32Array(this.B * Tp);
    prompts.forEach((p, b) => tokens.set(p, b * Tp + leftPadding[b]!));
    gpu.write(prefill.acts.tokens, tokens);
    gpu.write(prefill.acts.leftPadding, leftPadding);
    gpu.write(this.decodeGraph.acts.leftPadding, leftPadding);
    prefill.pass.setPosition(0);
    prefill.sampler.setOptions({ ...sampling, step: 0 });
    this.decodeGraph.sampler.setOptions({ ...sampling, step: 0 });
    gpu.clear([this.nonFinite], 'clear non-finite rows');
    gpu.run(prefill.dispatches, 'prefill');

    // Decode runs ahead of the CPU: a block of up to `every` steps is queued, each step's ids
    // copied into a row of `history`, and the block's ids are read back at once. Every row's
    // tokens depend only on its own prompt, seed and steps, so the steps queued past a row's stop
    // (or past everyone's) change nothing that is returned; they are the price of not waiting
    // on the GPU for every token.
    const every = options.readbackEvery ?? DEFAULT_READBACK_EVERY;
    if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`readbackEvery is ${every}: give a whole number of steps, 1 or more`);
    const history = gpu.tensor([Math.min(every, steps) + 1, this.B], 'sampled ids');
    const out: Generation[] = prompts.map(() => ({ tokens: [], finishReason: 'length' }));
    const done = new Array<boolean>(this.B).fill(false);
    const stops = new Set(options.stopTokenIds);
    try {
      for (let first = 0; first < steps && !done.every(Boolean); first += every) {
        const count = Math.min(every, steps - first);
        for (let step = first; step < first + count; step++) {
          // Step 0's ids come from the prefill; step s's from decoding the ids of step s − 1.
          if (step > 0) {
            this.decodeGraph.pass.setPosition(Tp + step - 1);
            this.decodeGraph.sampler.setStep(step);
            gpu.run(this.decodeGraph.dispatches, 'decode');
          }
          gpu.copy(this.decodeGraph.acts.tokens, history, (step - first) * this.B, 'sampled ids');
        }
        // The sampler's non-finite flags ride in the block's last row: one read-back for both.
        gpu.copy(this.nonFinite, history, count * this.B, 'non-finite rows');
        const ids = await gpu.readU32(history, 0, (count + 1) * this.B);
        const seenAt = ids.subarray(count * this.B);
        const firstNonFinite = seenAt.findIndex((step) => step > 0);
        if (firstNonFinite >= 0) throw new NonFiniteLogitsError(firstNonFinite, seenAt[firstNonFinite]! - 1);
        for (let i = 0; i < count && !done.every(Boolean); i++) {
          for (let b = 0; b < this.B; b++) {
            if (done[b]) continue;
            const g = out[b]!;
            const id = ids[i * this.B + b]!;
            g.tokens.push(id);
            const stopText = options.stopStrings?.length && options.decode ? options.decode(g.tokens) : '';
            if (stops.has(id) || options.stopStrings?.some((s) => stopText.includes(s))) {
              done[b] = true;
              g.finishReason = 'stop';
            }
          }
        }
      }
    } finally {
      gpu.release(history);
    }
    return out;
  }

  /**
   * Replies to any number of prompts, B at a time; a short last batch is filled with copies of its
   * first prompt. The batch starting at prompt i samples with seed + i, so a run replays exactly.
   */
  async generateAll(prompts: readonly (readonly number[])[], options: GenerationOptions, onProgress?: (done: number) => void): Promise<Generation[]> {
    const out: Generation[] = [];
    for (let first = 0; first < prompts.length; first += this.B) {
      const chunk = prompts.slice(first, first + this.B);
      const batch = Array.from({ length: this.B }, (_, b) => chunk[b] ?? chunk[0]!);
      const replies = await this.generate(batch, { ...options, seed: (options.seed + first) >>> 0 });
      out.push(...replies.slice(0, chunk.length));
      onProgress?.(out.length);
    }
    return out;
  }

  private releaseGraph(graph: Graph): void {
    graph.acts.release();
    this.model.gpu.release(graph.logprob);
  }

  release(): void {
    this.cache.release();
    this.model.gpu.release(this.nonFinite);
    this.releaseGraph(this.decodeGraph);
    this.prefillGraphs.releaseAll();
  }
}
