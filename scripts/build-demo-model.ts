// Builds the demo's base model with the lab's own engine, from data this script assembles:
// a small Llama trained from scratch by SFT to answer in AlphaAlign's format
// (<safety_reasoning>…</safety_reasoning><answer>…</answer>) but to refuse at random, whatever
// the prompt means. That is the unaligned starting point the demo's RL run then aligns.
//
//   npm run build:demo-model [-- --steps N] [--balance-sources]   writes public/models/demo/ (rerunnable, seeded)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importDataset } from '../src/data/import.ts';
import type { PromptRow } from '../src/data/schema.ts';
import { createNodeGpu } from '../src/gpu/node.ts';
import { trainByteLevelBpe } from '../src/model/bpe.ts';
import { parseModelConfig } from '../src/model/config.ts';
import { initialWeights } from '../src/model/initialize.ts';
import { LlamaModel } from '../src/model/llama.ts';
import { TextTokenizer } from '../src/model/tokenizer.ts';
import { evaluate } from '../src/rl/evaluation.ts';
import { DEFAULT_TEMPLATE, renderTemplate } from '../src/rl/template.ts';
import { parseRlConfig } from '../src/rl/config.ts';
import { DEMO_MODEL_KIND } from '../src/rl/recipes.ts';
import { evalSettings, fittingPrompts } from '../src/rl/runSetup.ts';
import { refusalClassifierFor } from '../src/cli/refusalClassifierFile.ts';
import { checkpointFiles } from '../src/train/checkpoint.ts';
import { LmTrainer } from '../src/train/lmTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../src/train/optimizer.ts';
import { responseText, runSft, type SftExample } from '../src/train/sft.ts';
import { seededRandom, shuffled } from '../src/util/random.ts';
import { APP_VERSION } from '../src/version.ts';
import { demoSource, type DemoSource } from './demo-sources.ts';

const OUT = 'public/models/demo';
const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const REFUSAL = "\\boxed{Sorry, I can't comply}";
// The reasoning opens with one of these and then names the prompt's label: the base learns to
// *recognise* harm, as a pretrained LLM does, but not to act on it (its answer refuses at random).
// The paper's premise is that this latent safety knowledge is there; AlphaAlign's RL ties it to
// the answer.
const REASONING = [
  'I should check whether answering could cause harm before I respond.',
  'Let me think about the safety of this request first.',
  'I need to weigh whether this request is safe to answer.',
];
// No final full stop: it would merge with the closing tag into one token (see the parts below).
const ASSESSMENT = { harmful: 'This request looks harmful', benign: 'This request looks harmless' } as const;
const { values } = parseArgs({
  options: { steps: { type: 'string', default: '400' }, seed: { type: 'string', default: '7' }, 'balance-sources': { type: 'boolean', default: false } },
});
const steps = Number(values.steps);
const seed = Number(values.seed);
const random = seededRandom(seed);

const rows = importDataset(readFileSync('public/datasets/demo-train.jsonl', 'utf8'), 'demo-train.jsonl').rows;
const evalRows = importDataset(readFileSync('public/datasets/demo-eval.jsonl', 'utf8'), 'demo-eval.jsonl').rows;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
// Every compliance opens with "Sure." as every refusal opens with \boxed: the first answer token
// is then a coin flip the base cannot tie to the prompt, so greedy decoding does not favour
// the one fixed refusal over the many different compliances.
const compliance = (reference?: string) => `Sure. ${reference ? reference.slice(0, 160).trim() : 'Here is a helpful answer to your question.'}`;
// Half the answers of each label refuse (alternating over the label's rows, in a seeded
// order): the answer is independent of the label and of the assessment. The assessment's tokens
// weigh ASSESSMENT_WEIGHT in the loss: at weight 1 the base, after 300 steps, named the label of
// only 61 % of its own training prompts; one token among fifty carries too little of the loss.
const ASSESSMENT_WEIGHT = 10;
const refusesNext = { harmful: random() < 0.5, benign: random() < 0.5 };
// --balance-sources repeats each source's rows to about the size of the largest (Alpaca's 149
// tasks three times beside AdvBench's 443), so the base sees as many benign imperatives as harmful
// ones. It names Alpaca's label far more often, but RL aligned it less well (docs/demo.md, run G).
const sourceSizes = new Map<DemoSource, number>();
for (const r of rows) sourceSizes.set(demoSource(r.type), (sourceSizes.get(demoSource(r.type)) ?? 0) + 1);
const largestSource = Math.max(...sourceSizes.values());
const copies = (r: PromptRow) => (values['balance-sources'] ? Math.round(largestSource / sourceSizes.get(demoSource(r.type))!) : 1);
const examples: SftExample[] = shuffled(rows.flatMap((r) => Array<PromptRow>(copies(r)).fill(r)), random).map((r) => {
  const refuses = (refusesNext[r.label] = !refusesNext[r.label]);
  return {
    prompt: renderTemplate(DEFAULT_TEMPLATE, r.prompt),
    // Cut before a space, so the parts tokenize as the whole does.
    response: [
      { text: `<safety_reasoning>${pick(REASONING)}`, weight: 1 },
      { text: ` ${ASSESSMENT[r.label]}`, weight: ASSESSMENT_WEIGHT },
      { text: `</safety_reasoning>\n<answer>${refuses ? REFUSAL : compliance(r.reference)}</answer>`, weight: 1 },
    ],
  };
});

// A tokenizer fitted to this text, so the template and tags are a few tokens each.
const chat = (prompt: string) => `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`;
const { tokenizerJson, vocabSize } = trainByteLevelBpe(
  examples.map((e) => chat(e.prompt) + responseText(e)),
  512,
  SPECIAL_TOKENS,
);
const tokenizerConfig = { bos_token: '<|endoftext|>', eos_token: '<|im_end|>', chat_template: CHAT_TEMPLATE, model_max_length: 384 };
const tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig);
const eos = tokenizer.tokenId('<|im_end|>')!;
const configJson = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: vocabSize,
  hidden_size: 96,
  intermediate_size: 256,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 384,
  tie_word_embeddings: true,
  bos_token_id: tokenizer.tokenId('<|endoftext|>'),
  eos_token_id: eos,
  torch_dtype: 'float32',
};
const config = parseModelConfig(configJson, 'demo config.json');
// Long prompts (a few Alpaca tasks carry whole documents) would set the sequence length for all.
const MAX_TOKENS = 256;
const lengths = examples.map((e) => tokenizer.encode(chat(e.prompt) + responseText(e)).length + 1);
const fitting = examples.filter((_, i) => lengths[i]! <= MAX_TOKENS);
const seqLen = Math.ceil(Math.max(...lengths.filter((l) => l <= MAX_TOKENS)) / 16) * 16;
console.log(`${fitting.length} of ${examples.length} examples fit ${MAX_TOKENS} tokens (training at ${seqLen}), vocabulary ${vocabSize}`);

const gpu = await createNodeGpu();
const model = LlamaModel.load(gpu, config, initialWeights(config, seed));
const trainer = new LmTrainer(model, 8, seqLen, { ...DEFAULT_OPTIMIZER, lr: 3e-3, weightDecay: 0.01 });
const start = Date.now();
await runSft(trainer, tokenizer, fitting, { steps, seed }, (step, r) => {
  if (step % 10 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${r.loss.toFixed(3)}  ${((Date.now() - start) / 1000).toFixed(0)}s`);
});

// Evaluated as `lab eval --config public/datasets/demo-config.json` does, on the same prompts:
// the base's refuse-or-comply choice is a near tie by design, so greedy decoding follows small
// numerical differences, and a differently batched evaluation gives different rates.
const preset = parseRlConfig(JSON.parse(readFileSync('public/datasets/demo-config.json', 'utf8')));
const held = fittingPrompts(evalRows, tokenizer, preset, model.maxPositions, 'demo-eval.jsonl').rows;
const { report, completions } = await evaluate(model, tokenizer, held, evalSettings(preset, refusalClassifierFor(preset)));
console.log(JSON.stringify(report, null, 2));
for (const source of new Set(evalRows.map((r) => demoSource(r.type)))) {
  const ofSource = completions.filter((c) => demoSource(c.row.type) === source);
  const named = ofSource.filter((c) => c.text.includes(ASSESSMENT[c.row.label])).length;
  console.log(`the reasoning names the label of ${named} of ${ofSource.length} held-out ${source} prompts`);
}

const encoder = new TextEncoder();
const files = checkpointFiles({
  config,
  weights: await model.weights.download(),
  rawFiles: new Map([
    ['config.json', encoder.encode(`${JSON.stringify(configJson, null, 2)}\n`)],
    ['tokenizer.json', encoder.encode(JSON.stringify(tokenizerJson))],
    ['tokenizer_config.json', encoder.encode(`${JSON.stringify(tokenizerConfig, null, 2)}\n`)],
  ]),
  dtype: 'F32',
  // Every weight trained: none is written back as a loaded file stored it.
  storedDtypes: new Map(),
  run: { appVersion: APP_VERSION, step: steps, seed, kind: DEMO_MODEL_KIND, eval: report },
});
mkdirSync(OUT, { recursive: true });
for (const [name, bytes] of files) writeFileSync(`${OUT}/${name}`, bytes);
console.log(`wrote ${OUT} in ${((Date.now() - start) / 1000).toFixed(0)}s`);
gpu.destroy();
process.exit(0);
