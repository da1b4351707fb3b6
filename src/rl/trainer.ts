// One AlphaAlign step, as DESIGN.md §1 describes it: sample n completions for each of a step's
// prompts, score them with the verifiers (and the helpfulness scorer), turn rewards into
// group-relative advantages, and update the policy with the PPO-clipped token-level loss (plus
// β·KL to the reference policy), by gradient accumulation over micro-batches and one AdamW step
// per PPO epoch (num_iterations epochs over the same rollouts, at the step's learning rate). A
// micro-batch is padded to its own longest sequence, rounded up to a bucket of SEQ_BUCKET tokens:
// buffers and dispatch lists are made once per bucket and kept; per micro-batch the CPU writes
// ids, weights and advantages and reads back six numbers (and, before a second epoch, the
// micro-batch's log-probs).
import type { PromptRow } from '../data/schema.ts';
import type { Dispatch, Tensor } from '../gpu/gpu.ts';
import { groupTokens, uploadTokenGrouping } from '../gpu/kernels/embedding.ts';
import {
  POLICY_STATS,
  POLICY_SUM,
  POLICY_SUMS,
  policyLossBackward,
  policyLossForward,
  policyLossSums,
  sumPartialCount,
  sumReduce,
  valueLossBackward,
  valueLossForward,
  VALUE_STATS,
} from '../gpu/kernels/policyloss.ts';
import { BackwardScratch, buildBackward, type HeadBackward } from '../model/backward.ts';
import { Generator, NonFiniteLogitsError, type Generation } from '../model/generate.ts';
import { Activations, buildForward, LlamaModel, type ForwardPass } from '../model/llama.ts';
import { GraphsByLength } from '../model/graphsByLength.ts';
import { assertPlanFits, LOGITS_CHUNK_BYTES, logitsChunkColumns, updateGraphBytes, type MemoryPlan, type RunShape } from '../model/memoryPlanner.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import { VocabularyHead } from '../model/vocabHead.ts';
import type { ParameterSet } from '../model/weights.ts';
import { AdamW } from '../train/optimizer.ts';
import { NonFiniteError } from '../train/lmTrainer.ts';
import { gaeAdvantages, groupAdvantages, isGroupEstimator } from './advantages.ts';
import { ValueHead } from './valueHead.ts';
import { scheduledLearningRate, type RlConfig } from './config.ts';
import { overlapScore } from './helpfulness.ts';
import { noLearningSignal, rolloutMetrics, type CompletionRecord, type StepMetrics } from './metrics.ts';
import { promptIds } from './prompting.ts';
import type { RunPhaseListener } from './runProgress.ts';
import { groupRewards, type CompletionReward } from './rewards.ts';
import { verifyCompletions, type CompletionVerdict } from './verifiers.ts';
import type { RefusalClassifier } from './refusalClassifier.ts';
import { makeRefusalJudge, type RefusalJudge, type RefusalModel } from './refusalJudge.ts';

/** One sampled completion with everything the Rollouts panel shows. */
export interface Rollout {
  row: PromptRow;
  prompt: number[];
  completion: number[];
  text: string;
  verdict: CompletionVerdict;
  reward: CompletionReward;
  advantage: number;
  clipped: boolean;
}

/** What the helpfulness scorer "onnx" calls: OnnxRewardModel, or anything that scores the same way. */
export interface HelpfulnessModel {
  score(prompt: string, answer: string): Promise<number>;
}

export interface StepResult {
  metrics: StepMetrics;
  rollouts: Rollout[];
}

/** Which micro-batch buffers a PPO update reads: the sequences' ids and per-token terms. */
interface MicroBatch {
  /** The rollouts in its rows, in order; fewer than B in a step's last micro-batch. */
  rows: readonly Rollout[];
  /** The length its sequences are padded to. */
  T: number;
  tokens: Uint32Array; // (B·T)
  targets: Uint32Array; // (B·T) the next token
  weights: Float32Array; // (B·T) mask / completion tokens in the step
  advantages: Float32Array; // (B·T)
  /** With num_iterations > 1: the log-probs under the sampling policy, read in the first epoch. */
  oldLogprobs?: Float32Array; // (B·T)
  /** With gae: the values before the update, and the returns they are trained towards. */
  oldValues?: Float32Array; // (B·T)
  returns?: Float32Array; // (B·T)
}

/** Sequence lengths of the update graphs are multiples of this (or maxSeqLen itself). */
const SEQ_BUCKET = 32;
/** The update's buffers and dispatch lists for micro-batches padded to T tokens. */
interface UpdateGraph {
  T: number;
  acts: Activations;
  scratch: BackwardScratch;
  /** The LM head and log-softmax a vocabulary chunk at a time (the reference pass shares it). */
  head: VocabularyHead;
  t: Record<'targets' | 'logprob' | 'oldLogprob' | 'lse' | 'refLogprob' | 'entropy' | 'refLse' | 'refEntropy' | 'advantage' | 'weight' | 'loss' | 'stats' | 'dlogprob' | 'partials' | 'sums', Tensor>;
  /** The first PPO epoch: the sampling policy is the current one. */
  update: Dispatch[];
  /** Later PPO epochs (num_iterations > 1): the ratio is to the log-probs in oldLogprob. */
  updateAgain: Dispatch[] | null;
  policyForward: ForwardPass;
  reference: Dispatch[];
  /** The reference model's own activations, when it is a separate model (full fine-tuning). */
  refActs: Activations | null;
  /** With the gae estimator: the value head's buffers, and the pass that reads values before an update. */
  v: Record<'value' | 'oldValue' | 'returns' | 'weight' | 'loss' | 'stats' | 'dvalue', Tensor> | null;
  valuePass: Dispatch[];
}

export class AlphaAlignTrainer {
  readonly optimizer: AdamW;
  /** The memory planner's plan for this run: what rollouts and one update graph may hold on the GPU. */
  readonly plan: MemoryPlan;
  readonly grads: ParameterSet;
  /** Steps taken so far. */
  step = 0;
  private readonly generator: Generator;
  /** Update graphs by padded length, within the planned bytes of the plan's one at maxSeqLen (GraphsByLength). */
  private readonly graphs: GraphsByLength<UpdateGraph>;
  private readonly B: number;
  readonly valueHead: ValueHead | null;
  /** V_r of the reward (config.reward_judge). */
  private readonly judge: RefusalJudge;

  /**
   * maxSeqLen: prompt plus completion, the longest a sequence may be. referenceModel:
   * the frozen reference for the KL term with full fine-tuning and beta > 0 (with LoRA the
   * reference is the policy with its adapters off). rewardModel: scores benign answers for the
   * helpfulness scorer "onnx". refusalClassifier: the classifier of the "combined" reward_judge;
   * refusalModel: the user's of the "onnx" one.
   */
  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: TextTokenizer,
    readonly config: RlConfig,
    readonly maxSeqLen: number,
    private readonly referenceModel: LlamaModel | null = null,
    private readonly rewardModel: HelpfulnessModel | null = null,
    refusalClassifier: RefusalClassifier | null = null,
    refusalModel: RefusalModel | null = null,
  ) {
    this.judge = makeRefusalJudge(config.reward_judge, config.refusal_rules, refusalClassifier, refusalModel);
    const { gpu, config: mc } = model;
    if (config.helpfulness_scorer.kind === 'onnx' && !rewardModel) {
      throw new RangeError('helpfulness_scorer {"kind": "onnx"} needs a reward model (an .onnx file and its tokenizer.json); load one, or use {"kind": "overlap"} or {"kind": "none"}');
    }
    if (config.beta > 0 && !model.lora && !referenceModel) {
      throw new RangeError('beta > 0 with full fine-tuning needs a frozen reference model; pass one, use LoRA, or set beta to 0');
    }
    const B = (this.B = config.per_device_train_batch_size);
    const T = maxSeqLen;
    const lora = model.lora?.settings;
    const shape: RunShape = { batch: B, seqLen: T, finetune: lora ? { kind: 'lora', ...lora } : { kind: 'full' }, generationBatch: config.generation_batch_size, generationLen: T, referenceCopy: config.beta > 0 && !lora, evaluation: true, frozenDtype: (lora ? model.weights : referenceModel?.weights)?.dtype };
    const limits = { budgetBytes: gpu.memoryBudgetBytes, maxStorageBufferBindingSize: gpu.maxBindingBytes };
    const plan = (this.plan = assertPlanFits(mc, shape, limits));
    gpu.pool.holdAtMost(plan.totalBytes);
    const graphBytes = (length: number) => updateGraphBytes(mc, { ...shape, seqLen: length }, limits, plan.recompute);
    this.graphs = new GraphsByLength(graphBytes, graphBytes(T), (length) => this.buildGraph(length), (graph) => this.releaseGraph(graph));
    this.generator = new Generator(model, config.generation_batch_size, T);
    const trainable = model.lora?.weights ?? model.weights;
    this.grads = trainable.zerosLike('grad');
    const optimizerSettings = {
      lr: config.learning_rate,
      beta1: config.adam_beta1,
      beta2: config.adam_beta2,
      eps: config.adam_epsilon,
      weightDecay: config.weight_decay,
      maxGradNorm: config.max_grad_norm,
    };
    this.optimizer = new AdamW(gpu, trainable, this.grads, optimizerSettings);
    this.valueHead = config.advantage_estimator === 'gae' ? new ValueHead(gpu, mc.hiddenSize, optimizerSettings) : null;
  }

  /** The update's buffers and dispatch lists for micro-batches padded to T tokens (kept by this.graphs). */
  private buildGraph(T: number): UpdateGraph {
    const { model, config, B, valueHead } = this;
    const { gpu, config: mc } = model;
    const N = B * T;
    const V = mc.vocabSize;
    const tensor = (shape: number[], label: string) => gpu.tensor(shape, `rl ${label}`);
    const acts = new Activations(model, B, T, { layers: this.plan.recompute ? 'recompute' : 'every' });
    const scratch = new BackwardScratch(model, B, T);
    const t = {
      targets: tensor([N], 'targets'),
      logprob: tensor([N], 'logprob'),
      oldLogprob: tensor([N], 'old logprob'),
      lse: tensor([N], 'lse'),
      refLogprob: tensor([N], 'ref logprob'),
      entropy: tensor([N], 'entropy'),
      refLse: tensor([N], 'ref lse'),
      refEntropy: tensor([N], 'ref entropy'),
      advantage: tensor([N], 'advantage'),
      weight: tensor([N], 'weight'),
      loss: tensor([N], 'loss'),
      stats: tensor([POLICY_STATS, N], 'stats'),
      dlogprob: tensor([N], 'dlogprob'),
      partials: tensor([sumPartialCount(POLICY_STATS, N)], 'partials'),
      sums: tensor([POLICY_SUMS + 1], 'sums'),
    };
    const v = valueHead
      ? {
          value: tensor([N], 'value'),
          oldValue: tensor([N], 'old value'),
          returns: tensor([N], 'returns'),
          weight: tensor([N], 'value weight'),
          loss: tensor([N], 'value loss'),
          stats: tensor([VALUE_STATS, N], 'value stats'),
          dvalue: tensor([N], 'dvalue'),
        }
      : null;
    const temperature = config.temperature > 0 ? config.temperature : 1;
    // The reference pass runs first and only keeps its log-probs: the policy pass after it
    // overwrites the activations with the ones its backward needs.
    const head = new VocabularyHead(gpu, N, V, mc.hiddenSize, this.logitsChunkColumns(N), model.lmHead.rowsPerBlock);
    // Forward only: its layers can share one set of activations.
    const refActs = this.referenceModel ? new Activations(this.referenceModel, B, T, { layers: 'forward' }) : null;
    const reference =
      config.beta > 0
        ? [
            ...buildForward(this.referenceModel ?? model, refActs ?? acts, { adapters: false }).dispatches,
            ...head.forward({ logprob: t.refLogprob, lse: t.refLse, entropy: t.refEntropy }, (refActs ?? acts).lnf, (this.referenceModel ?? model).lmHead, t.targets, temperature),
          ]
        : [];
    // In the first PPO epoch the sampling policy is the current one: its log-probs are the
    // (detached) log-probs of this very pass, so the ratio is 1 and only the gradient matters.
    // Later epochs read the first epoch's log-probs back into oldLogprob.
    const policy = { epsilonLow: config.epsilon, epsilonHigh: config.epsilon_high, beta: config.beta };
    const dropout = (model.lora?.settings.dropout ?? 0) > 0;
    const policyForward = buildForward(model, acts, dropout ? { dropoutSeed: config.seed } : {});
    // The value head reads lnf: its forward and loss sit after the policy forward, and its
    // gradient joins the final norm's before the backward goes on.
    const valueForward = v && valueHead ? [valueHead.forward(v.value, acts.lnf, N)] : [];
    const valueLoss =
      v && valueHead
        ? [
            valueLossForward(gpu, v.loss, v.stats, v.value, v.oldValue, v.returns, v.weight, N, config.cliprange_value),
            valueLossBackward(gpu, v.dvalue, v.value, v.oldValue, v.returns, v.weight, N, config.cliprange_value),
          ]
        : [];
    const refLogprob = config.beta > 0 ? t.refLogprob : t.logprob;
    const valueBackward = v && valueHead ? valueHead.backward(scratch.dln, v.dvalue, acts.lnf, N) : [];
    const headBackward: HeadBackward = (dx, dW, x, W) => head.backward(dx, dW, { dlogprob: t.dlogprob, entropy: null }, x, W, t.targets, t.lse, temperature);
    const updateAgainst = (oldLogprob: Tensor) => [
      ...policyForward.dispatches,
      ...valueForward,
      ...valueLoss,
      ...head.forward({ logprob: t.logprob, lse: t.lse, entropy: t.entropy }, acts.lnf, model.lmHead, t.targets, temperature),
      policyLossForward(gpu, t.loss, t.stats, t.logprob, oldLogprob, refLogprob, t.advantage, t.weight, N, policy),
      ...policyLossSums(gpu, t.sums, t.partials, t.loss, t.stats, t.weight, N),
      ...sumReduce(gpu, t.sums, t.partials, t.entropy, t.weight, 1, N, POLICY_SUMS),
      policyLossBackward(gpu, t.dlogprob, t.logprob, oldLogprob, refLogprob, t.advantage, t.weight, N, policy),
      ...buildBackward(model, acts, this.grads, scratch, headBackward, policyForward, valueBackward),
    ];
    const update = updateAgainst(t.logprob);
    const updateAgain = config.num_iterations > 1 ? updateAgainst(t.oldLogprob) : null;
    const graph = { T, acts, scratch, head, t, update, updateAgain, policyForward, reference, refActs, v, valuePass: [...policyForward.dispatches, ...valueForward] };
    return graph;
  }

  /**
   * Vocabulary columns per logits chunk for N rows: as the memory planner's for the longest
   * micro-batch, so a shorter one's chunk, wider, takes no more.
   */
  private logitsChunkColumns(N: number): number {
    const { gpu, config } = this.model;
    return logitsChunkColumns(config.vocabSize, config.hiddenSize, N, Math.min(LOGITS_CHUNK_BYTES, gpu.maxBindingBytes));
  }

  /** The padded length of a micro-batch whose longest sequence has `longest` tokens. */
  private paddedLength(longest: number): number {
    return Math.min(this.maxSeqLen, Math.ceil(longest / SEQ_BUCKET) * SEQ_BUCKET);
  }

  /**
   * Rollouts for the step's prompts, then the update. `onPhase` hears each phase as it begins and
   * after each of its units (runProgress.ts): generating, judging (the verifiers, the rewards and
   * the advantages), updating.
   */
  async train(prompts: readonly PromptRow[], onPhase: RunPhaseListener = () => undefined): Promise<StepResult> {
    const start = performance.now();
    const { config, model } = this;
    const stepNumber = this.step + 1;
    const n = config.num_generations;
    const rollouts = await this.sample(prompts, stepNumber, onPhase);

    // Rewards per prompt's group, then advantages over the whole step.
    for (let g = 0; g < prompts.length; g++) {
      const group = rollouts.slice(g * n, (g + 1) * n);
      const row = prompts[g]!;
      const helpfulness = row.label === 'benign' ? await this.helpfulness(row, group) : null;
      const rewards = groupRewards(
        { label: row.label, formatScores: group.map((r) => r.verdict.formatScore), refusalScores: group.map((r) => r.verdict.refusalScore), helpfulnessScores: helpfulness },
        { r_f: config.r_f, r_a: config.r_a, w_h: config.w_h },
      );
      group.forEach((r, k) => (r.reward = rewards[k]!));
    }
    const { gpu } = model;
    const completionTokens = rollouts.reduce((s, r) => s + r.completion.length, 0);
    // Micro-batches of sequences of similar length, so each pads little.
    const byLength = [...rollouts].sort((a, b) => a.prompt.length + a.completion.length - (b.prompt.length + b.completion.length));
    const batches: MicroBatch[] = [];
    for (let first = 0; first < byLength.length; first += this.B) batches.push(this.microBatch(byLength.slice(first, first + this.B), completionTokens));
    if (isGroupEstimator(config.advantage_estimator)) {
      const advantages = groupAdvantages(config.advantage_estimator, rollouts.map((r) => r.reward.total), n, config.scale_rewards);
      rollouts.forEach((r, k) => (r.advantage = advantages[k]!));
      for (const batch of batches) batch.weights.forEach((w, p) => (batch.advantages[p] = w > 0 ? batch.rows[Math.floor(p / batch.T)]!.advantage : 0));
    } else {
      await this.gaeAdvantages(batches, stepNumber);
    }
    onPhase({ kind: 'judging', step: stepNumber, done: 1, total: 1 });

    // The PPO update: num_iterations epochs over the same rollouts, each a gradient accumulation
    // over the micro-batches and one optimiser step. Losses and rates are averaged over epochs.
    const lr = scheduledLearningRate(config, stepNumber);
    const epochs = config.num_iterations;
    let loss = 0;
    let kl = 0;
    let clip = 0;
    let entropy = 0;
    let gradNorm = 0;
    const updates = { kind: 'updating', step: stepNumber, done: 0, total: epochs * batches.length } as const;
    onPhase(updates);
    for (let epoch = 0; epoch < epochs; epoch++) {
      gpu.clear(this.grads.all(), 'zero grads');
      if (this.valueHead) gpu.clear(this.valueHead.grads.all(), 'zero value grads');
      let epochLoss = 0;
      for (const [i, batch] of batches.entries()) {
        const { acts, t, v, refActs, scratch, reference, policyForward, update, updateAgain } = this.graphs.get(batch.T);
        gpu.write(acts.tokens, batch.tokens);
        gpu.write(t.targets, batch.targets);
        gpu.write(t.weight, batch.weights);
        gpu.write(t.advantage, batch.advantages);
        if (epoch > 0) gpu.write(t.oldLogprob, batch.oldLogprobs!);
        if (v) {
          gpu.write(v.oldValue, batch.oldValues!);
          gpu.write(v.returns, batch.returns!);
          gpu.write(v.weight, batch.weights.map((w) => w * config.vf_coef));
        }
        if (refActs) gpu.write(refActs.tokens, batch.tokens);
        // Only a trainable embedding needs this step's ids grouped for its backward.
        if (this.grads.maybe('model.embed_tokens.weight')) uploadTokenGrouping(gpu, scratch.grouping, groupTokens(batch.tokens, model.config.vocabSize));
        gpu.clear([scratch.dres]);
        if (reference.length > 0) gpu.run(reference, 'reference log-probs');
        // A dropout mask per (step, epoch, micro-batch), unique while epochs × micro-batches < 4096.
        policyForward.setDropoutStep(stepNumber * 4096 + epoch * batches.length + i);
        gpu.run(epoch === 0 ? update : updateAgain!, 'policy update');
        if (epoch === 0 && epochs > 1) batch.oldLogprobs = await gpu.readF32(t.logprob);
        const sums = await gpu.readF32(t.sums);
        epochLoss += sums[POLICY_SUM.loss]!;
        kl += sums[POLICY_SUM.kl]! / epochs;
        clip += sums[POLICY_SUM.clip]! / epochs;
        entropy += sums[POLICY_SUMS]! / epochs;
        onPhase({ ...updates, done: epoch * batches.length + i + 1 });
      }
      gpu.run(this.optimizer.step(lr), 'optimizer');
      if (this.valueHead) gpu.run(this.valueHead.optimizer.step(lr), 'value head optimizer');
      const epochGradNorm = await this.optimizer.gradNorm();
      if (!Number.isFinite(epochLoss) || !Number.isFinite(epochGradNorm)) {
        this.optimizer.t -= 1;
        const found = `the loss is ${epochLoss} and the gradient norm ${epochGradNorm}`;
        throw new NonFiniteError(
          epoch === 0
            ? `step ${stepNumber}: ${found}; the weights were not updated`
            : `step ${stepNumber}, PPO epoch ${epoch + 1} of ${epochs}: ${found}; this epoch's update was not applied (the step's first ${epoch} were)`,
        );
      }
      loss += epochLoss / epochs;
      gradNorm += epochGradNorm / epochs;
    }
    this.step = stepNumber;

    const records: CompletionRecord[] = rollouts.map((r) => ({
      label: r.row.label,
      formatScore: r.verdict.formatScore,
      refusalScore: r.verdict.refusalScore,
      reward: r.reward,
      length: r.completion.length,
      clipped: r.clipped,
    }));
    const seconds = (performance.now() - start) / 1000;
    const tokens = rollouts.reduce((s, r) => s + r.prompt.length + r.completion.length, 0);
    const rollout = rolloutMetrics(records, n);
    return {
      rollouts,
      metrics: {
        step: stepNumber,
        ...rollout,
        kl: config.beta > 0 ? kl : null,
        entropy,
        clip_ratio: clip,
        grad_norm: gradNorm,
        no_learning_signal: noLearningSignal({ frac_reward_zero_std: rollout.frac_reward_zero_std, grad_norm: gradNorm }, isGroupEstimator(config.advantage_estimator)),
        learning_rate: lr,
        tokens_per_second: tokens / seconds,
        step_time_s: seconds,
      },
    };
  }

  /** The scorer's raw scores of a benign prompt's answers; null when it has none to give. */
  private async helpfulness(row: PromptRow, group: readonly Rollout[]): Promise<number[] | null> {
    const scorer = this.config.helpfulness_scorer;
    const answers = group.map((r) => r.verdict.format.answer ?? r.text);
    if (scorer.kind === 'overlap') return row.reference ? answers.map((a) => overlapScore(scorer.metric, a, row.reference!)) : null;
    if (scorer.kind === 'onnx') return Promise.all(answers.map((a) => this.rewardModel!.score(row.prompt, a)));
    return null;
  }

  /**
   * GAE: the value head's V(s_t) for every micro-batch before any update (read back), then
   * advantages and returns over the whole step (advantages.ts, on the sequences laid out at
   * maxSeqLen), written back into the batches.
   */
  private async gaeAdvantages(batches: MicroBatch[], stepNumber: number): Promise<void> {
    const { gpu } = this.model;
    const T = this.maxSeqLen;
    const rows = batches.flatMap((batch) => batch.rows);
    const values = new Float32Array(rows.length * T);
    const mask = new Float32Array(rows.length * T);
    let first = 0;
    for (const [i, batch] of batches.entries()) {
      const graph = this.graphs.get(batch.T);
      gpu.write(graph.acts.tokens, batch.tokens);
      graph.policyForward.setDropoutStep(stepNumber * 4096 + i);
      gpu.run(graph.valuePass, 'values');
      const batchValues = await gpu.readF32(graph.v!.value);
      batch.rows.forEach((_, b) => {
        for (let t = 0; t < batch.T; t++) {
          values[(first + b) * T + t] = batchValues[b * batch.T + t]!;
          mask[(first + b) * T + t] = batch.weights[b * batch.T + t]! > 0 ? 1 : 0;
        }
      });
      first += batch.rows.length;
    }
    const { advantages, returns } = gaeAdvantages(rows.map((r) => r.reward.total), values, mask, rows.length, T, this.config.gamma, this.config.lam);
    first = 0;
    for (const batch of batches) {
      batch.oldValues = new Float32Array(this.B * batch.T);
      batch.returns = new Float32Array(this.B * batch.T);
      batch.rows.forEach((r, b) => {
        for (let t = 0; t < batch.T; t++) {
          const at = (first + b) * T + t;
          batch.advantages[b * batch.T + t] = advantages[at]!;
          batch.oldValues![b * batch.T + t] = values[at]!;
          batch.returns![b * batch.T + t] = returns[at]!;
        }
        // A sequence's advantage for the Rollouts panel: at its first completion token.
        r.advantage = advantages[(first + b) * T + r.prompt.length - 1] ?? 0;
      });
      first += batch.rows.length;
    }
  }

  /**
   * n completions of every prompt, verified, laid out prompt by prompt; rewards and advantages are
   * filled in by train(). Sampled generation_batch_size at a time, whatever the prompts' lengths.
   */
  private async sample(prompts: readonly PromptRow[], step: number, onPhase: RunPhaseListener): Promise<Rollout[]> {
    const { config, tokenizer } = this;
    const ids = prompts.map((row) => promptIds(tokenizer, config.template, row.prompt));
    ids.forEach((p, i) => {
      if (p.length >= this.maxSeqLen) throw new RangeError(`prompt ${prompts[i]!.id} takes ${p.length} tokens, leaving no room in ${this.maxSeqLen}`);
    });
    const rows = prompts.flatMap((_, i) => Array<number>(config.num_generations).fill(i));
    const generating = { kind: 'generating', step, done: 0, total: Math.ceil(rows.length / config.generation_batch_size) } as const;
    onPhase(generating);
    let replies: Generation[];
    try {
      replies = await this.generator.generateAll(
        rows.map((i) => ids[i]!),
        {
          maxNewTokens: config.max_completion_length,
          temperature: config.temperature,
          topK: config.top_k,
          topP: config.top_p,
          // A seed per (run, step): a run replays exactly.
          seed: (config.seed * 1_000_003 + step * 1009) >>> 0,
          stopTokenIds: this.model.config.eosTokenIds,
          stopStrings: config.stop_strings,
          decode: (t) => tokenizer.decode(t),
        },
        (done) => onPhase({ ...generating, done: Math.ceil(done / config.generation_batch_size) }),
      );
    } catch (error) {
      // A poisoned model is said the same way on every adapter, before any reward or update.
      if (error instanceof NonFiniteLogitsError) throw new NonFiniteError(`step ${step}: sampling completions, ${error.message}; the weights were not updated`, { cause: error });
      throw error;
    }
    onPhase({ kind: 'judging', step, done: 0, total: 1 });
    const texts = replies.map((reply) => tokenizer.decode(reply.tokens));
    const verdicts = await verifyCompletions(texts, config.format, this.judge);
    return replies.map((reply, k) => {
      const i = rows[k]!;
      return {
        row: prompts[i]!,
        prompt: ids[i]!,
        completion: reply.tokens,
        text: texts[k]!,
        verdict: verdicts[k]!,
        reward: { safety: 0, helpfulness: 0, total: 0 },
        advantage: 0,
        clipped: reply.finishReason === 'length',
      };
    });
  }

  /** Sequences padded to the batch's bucket; position t learns token t+1 where that token is a completion token. */
  private microBatch(rows: readonly Rollout[], completionTokens: number): MicroBatch {
    const T = this.paddedLength(Math.max(...rows.map((r) => r.prompt.length + r.completion.length)));
    const N = this.B * T;
    const pad = this.model.config.eosTokenIds[0] ?? 0;
    const batch: MicroBatch = {
      rows,
      T,
      tokens: new Uint32Array(N).fill(pad),
      targets: new Uint32Array(N).fill(pad),
      weights: new Float32Array(N),
      advantages: new Float32Array(N),
    };
    rows.forEach((r, b) => {
      const ids = [...r.prompt, ...r.completion];
      for (let t = 0; t < ids.length && t < T; t++) {
        batch.tokens[b * T + t] = ids[t]!;
        if (t + 1 < ids.length) batch.targets[b * T + t] = ids[t + 1]!;
        if (t + 1 >= r.prompt.length && t + 1 < ids.length) batch.weights[b * T + t] = 1 / completionTokens;
      }
    });
    return batch;
  }

  private releaseGraph(graph: UpdateGraph): void {
    graph.acts.release();
    graph.refActs?.release();
    graph.scratch.release();
    graph.head.release();
    this.model.gpu.release(...Object.values(graph.t), ...Object.values(graph.v ?? {}));
  }

  release(): void {
    this.generator.release();
    this.graphs.releaseAll();
    this.grads.release();
    this.optimizer.release();
    this.valueHead?.release();
  }
}
