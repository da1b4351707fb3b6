// `npm run lab -- <command>`: the engine of the page, headless. Every failure ends with one
// clear line on stderr and a non-zero exit, never a stack trace (set LAB_DEBUG=1 to see one).
import { parseArgs } from 'node:util';
import { NoAdapterError } from '../gpu/adapter.ts';
import { createNodeGpu } from '../gpu/node.ts';
import { otherNodeAdapters } from '../gpu/nodeDevice.ts';
import { UsageError } from './args.ts';
import { classifyCommand } from './classifyCommand.ts';
import { exportCommand } from './exportCommand.ts';
import { generateCommand, logitsCommand, sftCommand } from './modelCommands.ts';
import { planCommand } from './planCommand.ts';
import { recipeCommand } from './recipeCommand.ts';
import { evalCommand, trainCommand } from './trainCommand.ts';

const USAGE = `Usage: npm run lab -- <command> [options]

Commands:
  info                      the WebGPU adapter in use (kind, vendor, architecture, features,
                            limits) and the other kinds this machine can open (JSON)
  generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K]
           [--top-p P] [--seed S] [--raw]
                            sample a reply (the prompt goes through the chat template unless --raw)
  logits --model DIR --tokens 1,2,3 [--out FILE]
                            full logits as JSON {"logits": [[...], ...]}, for parity checks
  plan --model DIR [--batch B] [--seq T] [--lora [--lora-rank R] [--lora-targets ...]]
       [--generation-batch G] [--reference-copy] [--budget-gib N] [--max-binding-mib N] [--json]
                            the memory plan from config.json alone (no weights, no GPU):
                            weights, gradients, optimiser, activations, logits, KV cache,
                            peak_bytes and whether it fits
  recipe --model DIR|HUB_ID [--recipe demo|lora|paper] [--json]
                            the settings a model starts with (demo for the demo model, lora for
                            a pretrained one; each value's source in src/rl/recipes.ts), the
                            run's memory plan on this adapter and the step time estimated from a
                            short calibration (estimate_s_per_step); a HUB_ID reads config.json
                            and the tokenizer only (HF_ENDPOINT, HF_TOKEN)
  sft --model DIR --data FILE --steps N --out DIR [--batch-size B] [--seq-len T] [--lr LR]
      [--seed S] [--dtype f32|bf16|f16] [--lora] [--lora-rank R] [--lora-alpha A]
      [--lora-targets q_proj,v_proj,...] [--lora-dropout P] [--merge]
      [--direct-refusal [--label harmful|benign]]
                            supervised fine-tuning on prompt/response rows; writes a checkpoint
                            folder (with LoRA: a PEFT adapter beside the base, or --merge it).
                            --direct-refusal: the baseline of harmful → "Sorry, I can't comply",
                            benign → its reference, on the rows not in the eval split
  classify --in FILE.csv [--column completion] [--out FILE.jsonl] [--rules FILE.json]
           [--judge rules|combined|onnx [--refusal-model DIR]]
                            the refusal judge on each row (default combined: rules, then the
                            shipped classifier; onnx: rules, then your ONNX classifier in DIR): {"row", "refusal", "rule", "decided_by",
                            "probability", "reason"} per line; agreement with a final_label
                            column (XSTest's) on stderr
  train --model DIR --data FILE [--eval FILE] [--config FILE] [--label harmful|benign] --steps N
        --out DIR [--checkpoint-every K] [--resume] [--reward-model DIR] [--held-out SHARE]
        [--refusal-model DIR]   (for reward_judge or eval_judge "onnx" in the config)
        [--recipe demo|lora|paper]   (the recipe's settings, --config's over them)
  train --demo --steps N --out DIR
                            AlphaAlign RL: a progress line per step, OUT/metrics.jsonl, eval.jsonl,
                            checkpoint-<step>/ folders, the final checkpoint and eval.json in OUT;
                            data without a split column and no --eval: SHARE of each label held
                            out as the page does (default 0.15; 0 evaluates nothing)
  eval --model DIR --data FILE [--config FILE] [--label harmful|benign] [--out FILE]
       [--completions FILE.jsonl] [--attacks [--attack-names a,b,...]] [--reward-model DIR]
       [--judge rules|combined|onnx [--refusal-model DIR]]
                            greedy refusal, over-refusal and format rates, per type, the
                            reasoning's depth (stated reasons, reasoning-answer agreement) and
                            utility (benign answers' overlap with their references, and the
                            reward model's score), as JSON; --completions also writes each
                            answer with its verdicts; --judge: the refusal judge (default the
                            config's eval_judge, combined), named in the report as "judge";
                            --attacks also wraps each harmful prompt in jailbreak templates
                            (never trained on) and reports refusal and attack success per attack
  export-run --target trl|verl --model HUB_ID_OR_DIR --data FILE [--eval FILE]
             [--config FILE] [--rules FILE] [--label harmful|benign] --out DIR
                            the experiment for TRL or veRL: the data, the reward module (the
                            verifiers in Python), the config mapped, the launch script, a README
  bench kernels [--json] [--candidates]
                            kernel benchmarks against tfjs-backend-webgpu on the same adapter:
                            the matmul the lab chooses and (on a GPU, or with --candidates)
                            every candidate kernel
  bench model [--json]      prefill, decode and training-step throughput of a fixed small Llama,
                            the same step in TF.js on the same adapter and, when torch is
                            installed, in PyTorch on the CPU
  bench model --shape smollm2-135m|smollm2-360m|qwen2.5-0.5b|qwen3-0.6b|llama-3.2-1b
        [--layers N] [--batch B] [--seq T] [--prompts P] [--generations G]
        [--completion-tokens L] [--template TEXT] [--finetune lora|full] [--json]
                            a real checkpoint's shape (its published config.json) with random
                            weights, nothing downloaded: load time, prefill and decode tokens/s,
                            a LoRA training step, one AlphaAlign step of the demo preset's batch
                            (or P prompts × G completions of L tokens; LoRA unless --finetune
                            full), planned and measured peak GPU memory; --layers keeps width
                            and vocabulary with fewer layers

DIR is a Hugging Face model folder or a checkpoint .zip.
LAB_ADAPTER=auto|swiftshader|lavapipe|gpu picks the WebGPU adapter (auto: a GPU, else Mesa's
lavapipe, else SwiftShader; VK_ICD_FILENAMES, when set, is kept).
LAB_TORCH_PYTHON=PATH is the Python with torch for bench model's PyTorch step (default
/usr/bin/python3, Debian's python3-torch); LAB_TORCH_THREADS=N its threads (default 2).
LAB_MAX_BINDING_MIB=N lowers the adapter's maxStorageBufferBindingSize to N MiB (lab info shows
the lowered limit): tensors over it, a large vocabulary's embedding and lm_head, go in row blocks.
Matmul kernels are autotuned once per adapter and shape class on a GPU; the picks are kept in
LAB_AUTOTUNE_CACHE (default ~/.cache/alphaalign-lab/autotune.json).
`;

type Command = (args: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  generate: generateCommand,
  logits: logitsCommand,
  plan: planCommand,
  recipe: recipeCommand,
  sft: sftCommand,
  train: trainCommand,
  eval: evalCommand,
  classify: classifyCommand,
  'export-run': exportCommand,

  async info(args) {
    parseArgs({ args, options: {}, strict: true });
    const gpu = await createNodeGpu();
    const others = await otherNodeAdapters(gpu.adapter.kind);
    process.stdout.write(`${JSON.stringify({ ...gpu.adapter, others_found: others }, null, 2)}\n`);
    gpu.destroy();
  },

  async bench(args) {
    const { positionals, values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        candidates: { type: 'boolean', default: false },
        // bench model --shape (src/cli/benchShape.ts)
        shape: { type: 'string' },
        layers: { type: 'string' },
        batch: { type: 'string' },
        seq: { type: 'string' },
        prompts: { type: 'string' },
        generations: { type: 'string' },
        'completion-tokens': { type: 'string' },
        template: { type: 'string' },
        finetune: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const suite = positionals[0] ?? 'kernels';
    if (suite !== 'kernels' && suite !== 'model') throw new UsageError(`unknown benchmark suite "${suite}" (try: kernels, model)`);
    // Loaded only here: the benchmark pulls in TensorFlow.js as its comparison peer.
    const { runBench } = await import('./bench.ts');
    const { shapeBenchRequest } = await import('./benchShape.ts');
    const shape = shapeBenchRequest(suite, values);
    const gpu = await createNodeGpu();
    await runBench(gpu, suite, values.json, values.candidates ? { candidates: 'all' } : {}, shape);
    gpu.destroy();
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`lab: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (error) {
    if (process.env.LAB_DEBUG) console.error(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`lab ${name}: ${message}\n`);
    // Usage mistakes (including parseArgs' own) exit 2; no adapter 3; anything else 1.
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return 2;
    if (error instanceof NoAdapterError) return 3;
    return 1;
  }
}

// Dawn keeps the event loop alive after its device is destroyed, so exit explicitly.
process.exit(await main(process.argv.slice(2)));
