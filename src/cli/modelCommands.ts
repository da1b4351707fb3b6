// `lab generate`, `lab logits` and `lab sft`: a model from a folder or checkpoint zip, on Dawn.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importDataset } from '../data/import.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { createNodeGpu } from '../gpu/node.ts';
import { Generator } from '../model/generate.ts';
import { Activations, buildForward, LlamaModel } from '../model/llama.ts';
import { checkLoraSettings, DEFAULT_LORA, initialLoraWeights, LoraAdapter, type LoraSettings, type LoraTarget } from '../model/lora.ts';
import { gib, peakLine } from '../model/memoryPlanner.ts';
import { loadCheckpoint, checkpointFiles, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { weightsStorage } from '../model/loader.ts';
import { LmTrainer } from '../train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../train/optimizer.ts';
import { directRefusalExamples } from '../train/directRefusal.ts';
import { runSft } from '../train/sft.ts';
import { DEFAULT_TEMPLATE } from '../rl/template.ts';
import { choiceOption, modelSource, numberOption, requireString, UsageError } from './args.ts';
import { readOptionText } from './inputFiles.ts';
import { APP_VERSION } from '../version.ts';

/** A model folder or checkpoint (a folder or zip), with what its loader warns of written to stderr. */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const loaded = await loadCheckpoint(modelSource(path));
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  return loaded;
}

/**
 * frozen: the weights do not train (generation, logits, evaluation, or only LoRA adapters train),
 * so they keep the checkpoint's 16 bits on the GPU: a 1.5 B bf16 model takes 3 GB, not 6.
 */
export async function openModel(path: string, frozen: boolean): Promise<{ gpu: Gpu; loaded: LoadedCheckpoint; model: LlamaModel }> {
  const loaded = await readCheckpoint(path);
  const gpu = await createNodeGpu();
  const model = LlamaModel.load(gpu, loaded.config, loaded.weights, weightsStorage(loaded, frozen));
  if (loaded.adapter) model.lora = new LoraAdapter(gpu, loaded.config, loaded.adapter.settings, loaded.adapter.weights);
  return { gpu, loaded, model };
}

/** What a command that only runs the model held on the GPU: how its weights are stored, and the pool's peak. */
export function inferenceMemoryLine(gpu: Gpu, model: LlamaModel): string {
  return `weights on the GPU as ${model.weights.dtype}; GPU memory peak ${gib(gpu.pool.stats().peakBytes)}`;
}

export async function generateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      raw: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const prompt = requireString(values, 'prompt');
  const maxNewTokens = numberOption(values, 'max-new-tokens', 64, { min: 1, max: 4096, integer: true });
  const temperature = numberOption(values, 'temperature', 1, { min: 0, max: 100 });
  const topK = numberOption(values, 'top-k', 0, { min: 0, integer: true });
  const topP = numberOption(values, 'top-p', 1, { min: Number.MIN_VALUE, max: 1 });
  const seed = numberOption(values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  const { gpu, loaded, model } = await openModel(requireString(values, 'model'), true);
  const { tokenizer } = loaded;
  // --raw feeds the text as it is; otherwise it is the user turn of the model's chat template.
  const text = values.raw ? prompt : tokenizer.applyChatTemplate([{ role: 'user', content: prompt }]);
  const ids = tokenizer.encode(text);
  const generator = new Generator(model, 1, Math.min(model.maxPositions, ids.length + maxNewTokens));
  const [reply] = await generator.generate([ids], {
    maxNewTokens,
    temperature,
    topK,
    topP,
    seed,
    stopTokenIds: loaded.config.eosTokenIds,
  });
  process.stdout.write(`${tokenizer.decode(reply!.tokens)}\n`);
  process.stderr.write(`${inferenceMemoryLine(gpu, model)}\n`);
  gpu.destroy();
}

export async function logitsCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { model: { type: 'string' }, tokens: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const tokens = requireString(values, 'tokens')
    .split(',')
    .map((s) => s.trim());
  const ids = tokens.map(Number);
  const { gpu, loaded, model } = await openModel(requireString(values, 'model'), true);
  const V = loaded.config.vocabSize;
  const bad = tokens.findIndex((s, i) => s === '' || !Number.isInteger(ids[i]) || ids[i]! < 0 || ids[i]! >= V);
  if (bad >= 0) throw new UsageError(`--tokens: "${tokens[bad]}" is not a token id in [0, ${V})`);
  if (ids.length > model.maxPositions) throw new UsageError(`--tokens: ${ids.length} tokens exceed the model's ${model.maxPositions} positions`);
  // Only run forward: the layers share one set of activations.
  const acts = new Activations(model, 1, ids.length, { logits: true, layers: 'forward' });
  gpu.write(acts.tokens, Uint32Array.from(ids));
  gpu.run(buildForward(model, acts).dispatches, 'logits');
  const flat = await gpu.readF32(acts.logits!);
  const logits = Array.from({ length: ids.length }, (_, t) => Array.from(flat.subarray(t * V, (t + 1) * V)));
  const json = JSON.stringify({ logits });
  if (typeof values.out === 'string') writeFileSync(values.out, json);
  else process.stdout.write(`${json}\n`);
  process.stderr.write(`${inferenceMemoryLine(gpu, model)}\n`);
  gpu.destroy();
}

export async function sftCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      steps: { type: 'string' },
      out: { type: 'string' },
      'batch-size': { type: 'string' },
      'seq-len': { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      dtype: { type: 'string' },
      lora: { type: 'boolean', default: false },
      'lora-rank': { type: 'string' },
      'lora-alpha': { type: 'string' },
      'lora-targets': { type: 'string' },
      'lora-dropout': { type: 'string' },
      merge: { type: 'boolean', default: false },
      'direct-refusal': { type: 'boolean', default: false },
      label: { type: 'string' },
    },
    strict: true,
  });
  const dataPath = requireString(values, 'data');
  const out = requireString(values, 'out');
  const steps = numberOption(values, 'steps', NaN, { min: 1, integer: true });
  if (Number.isNaN(steps)) throw new UsageError('--steps is required');
  const batchSize = numberOption(values, 'batch-size', 4, { min: 1, max: 1024, integer: true });
  const seqLen = numberOption(values, 'seq-len', 128, { min: 2, max: 8192, integer: true });
  const lr = numberOption(values, 'lr', 1e-4, { min: 0, max: 1 });
  const seed = numberOption(values, 'seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  const dtype = choiceOption(values, 'dtype', ['f32', 'bf16', 'f16'], 'f32');

  const text = readOptionText(dataPath, 'data');
  // Plain SFT needs no labels: every row is one prompt and the response to learn. The direct-
  // refusal baseline needs them, and wraps prompts in AlphaAlign's template as its runs see them.
  const directRefusal = values['direct-refusal'] === true;
  const label = values.label === undefined ? undefined : choiceOption(values, 'label', ['harmful', 'benign'] as const, 'harmful');
  const imported = importDataset(text, dataPath, directRefusal ? (label ? { defaultLabel: label } : {}) : { defaultLabel: label ?? 'benign' });
  if (imported.needsLabel) throw new UsageError(`${dataPath} has no label column, which --direct-refusal needs: pass --label harmful or --label benign`);
  for (const p of imported.problems) process.stderr.write(`${dataPath}:${p.line}: ${p.reason} (skipped)\n`);
  const examples = directRefusal
    ? directRefusalExamples(imported.rows.filter((r) => r.split !== 'eval'), DEFAULT_TEMPLATE)
    : imported.rows.filter((r) => r.reference).map((r) => ({ prompt: r.prompt, response: r.reference! }));
  if (examples.length === 0) {
    throw new UsageError(`${dataPath} has no rows with a response (a column named response, reference, output or answer)`);
  }

  const useLora = values.lora || values['lora-rank'] !== undefined || values['lora-targets'] !== undefined;
  const loraSettings: LoraSettings = {
    rank: numberOption(values, 'lora-rank', DEFAULT_LORA.rank, { min: 1, max: 512, integer: true }),
    alpha: numberOption(values, 'lora-alpha', DEFAULT_LORA.alpha, { min: Number.MIN_VALUE }),
    targets: typeof values['lora-targets'] === 'string' ? (values['lora-targets'].split(',') as LoraTarget[]) : DEFAULT_LORA.targets,
    dropout: numberOption(values, 'lora-dropout', DEFAULT_LORA.dropout, { min: 0, max: 0.99 }),
  };
  if (useLora) {
    try {
      checkLoraSettings(loraSettings);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }

  // --lora starts a fresh adapter on a frozen base, kept in the checkpoint's 16 bits; a
  // checkpoint that holds an adapter goes on training it (its base loaded f32).
  const { gpu, loaded, model } = await openModel(requireString(values, 'model'), useLora);
  if (!loaded.adapter && useLora) model.lora = new LoraAdapter(gpu, loaded.config, loraSettings, initialLoraWeights(loaded.config, loraSettings, seed));
  const trainer = new LmTrainer(model, batchSize, seqLen, { ...DEFAULT_OPTIMIZER, lr });
  if (loaded.optimizer) trainer.optimizer.importState(loaded.optimizer);
  const start = Date.now();
  await runSft(trainer, loaded.tokenizer, examples, { steps, seed }, (step, r) => {
    const seconds = (Date.now() - start) / 1000;
    const eta = (seconds / step) * (steps - step);
    process.stderr.write(`step ${step}/${steps}  loss ${r.loss.toFixed(4)}  grad norm ${r.gradNorm.toFixed(3)}  ${seconds.toFixed(1)}s  eta ${eta.toFixed(0)}s\n`);
  });
  process.stderr.write(`${peakLine(gpu.pool.stats().peakBytes, trainer.plan.totalBytes)}\n`);
  const files = checkpointFiles({
    config: loaded.config,
    weights: await model.weights.download(),
    rawFiles: loaded.rawFiles,
    storedDtypes: loaded.storedDtypes,
    dtype: dtype === 'f32' ? 'F32' : dtype === 'bf16' ? 'BF16' : 'F16',
    run: { appVersion: APP_VERSION, step: trainer.optimizer.t, seed, kind: directRefusal ? 'sft direct refusal' : 'sft', baseModel: requireString(values, 'model'), data: dataPath, steps, batchSize, seqLen, lr },
    optimizer: await trainer.optimizer.exportState(),
    ...(model.lora ? { adapter: { settings: model.lora.settings, weights: await model.lora.weights.download(), layout: values.merge === true ? 'merged' : 'beside-base' } } : {}),
  });
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
  process.stderr.write(`wrote ${out} (${examples.length} examples, ${steps} steps)\n`);
  gpu.destroy();
}
