// One export, for TRL or veRL, from the state a run starts from: the files, a README that says how
// to launch it and what did not carry over, and alphaalign_export.json recording where it came
// from. The verifiers go as the alphaalign package and the target's entry file, copied as they are
// in python/, with the run's settings beside them (alphaalign_settings.json): no Python is
// generated for them. The CLI (`lab export-run`) writes the files to a folder; the page zips them.
import { strToU8, zipSync } from 'fflate';
import { APP_VERSION } from '../version.ts';
import type { ExportFiles, ExportInput, ExportTarget, MappedSetting, UnmappedSetting } from './exportTypes.ts';
import type { PythonSources } from './pythonSources.ts';
import { TRL_REQUIREMENT, VERL_REQUIREMENT } from './targetKeys.ts';
import { loraSettings, TRL_REWARDS_FILE, TRL_TRAIN_FILE, trlConfigSettings, trlJsonl, trlRequirements, trlTrainScript, trlTrainer, trlUnmapped } from './trl.ts';
import { VERL_REWARD_FILE, VERL_SCRIPT_FILE, verlOverrides, verlParquet, verlScript, verlUnmapped } from './verl.ts';
import { exportedJudge, VERIFIER_SETTINGS_FILE, verifierSettingsJson } from './verifierSettings.ts';

export const RUN_CARD_FILE = 'alphaalign_export.json';

/** What the export records about itself: the lab's version, the target, the model, the data and the whole config. */
function exportRecord(target: ExportTarget, input: ExportInput) {
  return {
    kind: 'alphaalign-export',
    appVersion: APP_VERSION,
    target,
    targetRelease: target === 'trl' ? TRL_REQUIREMENT : VERL_REQUIREMENT,
    model: input.model,
    data: {
      train: { source: input.trainSource, rows: input.train.length },
      eval: { source: input.evalSource, rows: input.eval.length },
    },
    config: input.config,
    runCard: input.runCard,
  };
}

const table = (settings: readonly MappedSetting[]) =>
  ['| setting | value | from the lab |', '| --- | --- | --- |', ...settings.map((m) => `| \`${m.key}\` | \`${m.value.replace(/\|/g, '\\|')}\` | ${m.note.replace(/\|/g, '\\|')} |`)].join('\n');

const unmappedList = (items: readonly UnmappedSetting[]) => items.map((u) => `- **${u.setting}**: ${u.handling}.`).join('\n');

/** How the export judges refusals: the rules, and the learned classifier when the run uses it. */
function judgeNote(input: ExportInput, rewardsFile: string): string {
  const [reward, evaluation] = [exportedJudge(input.config.reward_judge), exportedJudge(input.config.eval_judge)];
  const classifier = input.refusalClassifier && (reward === 'combined' || evaluation === 'combined');
  return `## The refusal judge

The reward's refusal verdict V_r uses the **${reward}** judge (\`reward_judge\`), as the lab's run does:
${reward === 'combined' ? 'the rules decide clear cases and the learned classifier the rest (it may overrule a rule when confident)' : 'the ordered rule list alone'}.
${
  classifier
    ? `The lab's learned refusal classifier (word n-grams, logistic regression; ${Object.keys(input.refusalClassifier!.weights).length} weights) is in \`${VERIFIER_SETTINGS_FILE}\`,
and the package gives the lab's probabilities to the last bit (its \`exp\` is V8's). The lab evaluates with the **${evaluation}** judge
(\`eval_judge\`); \`python3 ${rewardsFile} classify --judge rules|combined\` (default combined) prints what \`lab classify\` prints with the same judge.`
    : 'The run does not use the learned classifier, so it is not exported; `classify` judges with the rules.'
}`;
}

/** Where the verifiers come from, and how to use them outside this folder. */
const packageNote = (use: string) => `The verifiers are the lab's \`python/alphaalign\` package, copied as it is, and this run's settings
(\`${VERIFIER_SETTINGS_FILE}\`). The package also installs on its own from the lab's checkout
(\`pip install ./python\`, no dependencies) and reads any run's settings file:

\`\`\`python
import alphaalign
settings = alphaalign.load_settings("${VERIFIER_SETTINGS_FILE}")
${use}
\`\`\``;

function trlReadme(input: ExportInput): string {
  const { config } = input;
  const lora = loraSettings(config);
  return `# AlphaAlign on TRL

Exported by AlphaAlign Lab ${APP_VERSION} for ${TRL_REQUIREMENT} (${trlTrainer(config)}Trainer); the
run it came from is recorded in \`${RUN_CARD_FILE}\`.

| file | what |
| --- | --- |
| \`${TRL_TRAIN_FILE}\` | the trainer, its config and LoRA, the data |
| \`${TRL_REWARDS_FILE}\` | the reward functions \`train_grpo.py\` passes to TRL, and \`classify\`: a few lines over the package |
| \`alphaalign/\` | the \`alphaalign\` package: the template, the format and refusal verifiers, the rewards; standard-library Python |
| \`${VERIFIER_SETTINGS_FILE}\` | what the package judges and rewards with: the template, your rules in order (each translated for Python's \`re\`), the judges, the weights |
| \`train.jsonl\`, \`eval.jsonl\` | the prompts in TRL's conversational format, the template applied, with \`label\`, \`type\`, \`source\` |
| \`requirements.txt\` | the pinned releases |

## Run

\`\`\`sh
pip install -r requirements.txt
accelerate launch ${TRL_TRAIN_FILE}                       # one GPU
accelerate launch --num_processes 8 ${TRL_TRAIN_FILE}     # several GPUs on one node
accelerate launch --config_file deepspeed_zero2.yaml ${TRL_TRAIN_FILE}   # with a DeepSpeed config of your own
\`\`\`

A step is ${config.prompts_per_step} prompts × ${config.num_generations} completions on any number of GPUs:
\`${TRL_TRAIN_FILE}\` divides the accumulation steps by the number of processes.

## Same verdicts as the lab

\`\`\`sh
python3 ${TRL_REWARDS_FILE} classify completions.csv --column completion
\`\`\`

prints \`{"row", "refusal", "rule"}\` per row exactly as \`lab classify --in completions.csv\` does
(with the default format tags). The rules are your JavaScript regexes translated for Python's
\`re\` and matched on the text as JavaScript sees it (UTF-16 code units).

${packageNote('reward_funcs = [alphaalign.safety_reward(settings), alphaalign.helpfulness_reward(settings)]  # reward_weights=[1, settings.w_h]')}

## Settings

${table(trlConfigSettings(config, input.eval.length > 0))}
${lora ? `\nLoRA (\`peft.LoraConfig\`):\n\n${table(lora)}\n` : '\nFull fine-tuning: no LoRA.\n'}
## Settings without a counterpart in TRL

${unmappedList(trlUnmapped(config))}

## Back to the lab

- **The model**: \`runs/alphaalign-trl\` (and each \`checkpoint-N\` in it) is a Hugging Face folder after full
  fine-tuning: \`npm run lab -- eval --model runs/alphaalign-trl --data eval.jsonl\`, or drop the folder in
  the Model panel. ${lora ? "With LoRA, TRL saves the adapter alone: set \`base_model_name_or_path\` in its\n  \`adapter_config.json\` to the base model's folder and pass the adapter folder as \`--model\`." : ''}
- **The metrics**: \`trainer_state.json\` (in the output folder and each checkpoint) imports in the Export
  panel ("Import a TRL or veRL run's metrics…") as a run beside the lab's, under the lab's names; the
  rates come from the reward functions \`format_rate\`, \`refusal_rate_harmful\` and
  \`over_refusal_rate_benign\`, which TRL weighs at 0 and logs.

${judgeNote(input, TRL_REWARDS_FILE)}
`;
}

function verlReadme(input: ExportInput): string {
  const { config } = input;
  return `# AlphaAlign on veRL

Exported by AlphaAlign Lab ${APP_VERSION} for ${VERL_REQUIREMENT}; the run it came from is recorded
in \`${RUN_CARD_FILE}\`.

| file | what |
| --- | --- |
| \`${VERL_SCRIPT_FILE}\` | \`verl.trainer.main_ppo\` with the lab's settings as overrides; one node or a Ray cluster |
| \`${VERL_REWARD_FILE}\` | \`compute_score\` for \`custom_reward_function\`, and \`classify\`: a few lines over the package |
| \`alphaalign/\` | the \`alphaalign\` package: the format and refusal verifiers, the reward; standard-library Python |
| \`${VERIFIER_SETTINGS_FILE}\` | what the package judges and rewards with: your rules in order (each translated for Python's \`re\`), the judges, the weights |
| \`train.parquet\`, \`val.parquet\` | veRL's row format: \`data_source\`, \`prompt\` (chat messages, the template applied), \`ability\`, \`reward_model\` {\`style\`: "rule", \`ground_truth\`: label}, \`extra_info\` |

## Run

\`\`\`sh
NNODES=1 GPUS_PER_NODE=8 bash ${VERL_SCRIPT_FILE}
RAY_ADDRESS=http://head:8265 NNODES=4 GPUS_PER_NODE=8 bash ${VERL_SCRIPT_FILE} --submit
\`\`\`

\`--submit\` runs \`ray job submit … -- python3 -m verl.trainer.main_ppo … trainer.nnodes=$NNODES\` with
this folder as the job's working directory.

The lab's group-normalised helpfulness maps onto veRL's advantage estimator: \`compute_score\` scores
one completion at a time and returns the raw parts; \`algorithm.adv_estimator=${config.advantage_estimator === 'reinforce_pp_baseline' ? 'reinforce_plus_plus_baseline' : config.advantage_estimator}\`
does the normalisation over each prompt's ${config.num_generations} completions.

## Same verdicts as the lab

\`\`\`sh
python3 ${VERL_REWARD_FILE} classify completions.csv --column completion
\`\`\`

prints \`{"row", "refusal", "rule"}\` per row exactly as \`lab classify --in completions.csv\` does.

${packageNote('compute_score = alphaalign.verl_compute_score(settings)')}

## Settings

${table(verlOverrides(input))}

## Settings without a counterpart in veRL

${unmappedList(verlUnmapped(config))}

## Back to the lab

- **The model**: with \`hf_model\` in \`actor.checkpoint.save_contents\` (set above) each
  \`global_step_N/actor/huggingface\` under \`checkpoints/alphaalign/alphaalign-export\` is a Hugging Face
  folder: \`npm run lab -- eval --model …/huggingface --data …\`, or drop it in the Model panel. Without it,
  merge the sharded checkpoint first (\`python3 -m verl.model_merger merge --backend fsdp --local_dir …/actor --target_dir …\`).
- **The metrics**: write them as JSON lines, \`{"step": N, "data": {...}}\` per step (veRL's \`file\` logger
  does where your release has it), and import the file in the Export panel ("Import a TRL or veRL run's
  metrics…"): reward, entropy, KL, clipping, lengths, gradient norm, learning rate and step time under the
  lab's names.

${judgeNote(input, VERL_REWARD_FILE)}
`;
}

/** The verifiers: the run's settings, the package, and the entry file the target loads. */
function verifierFiles(files: ExportFiles, entryName: string, entrySource: string, input: ExportInput, python: PythonSources): void {
  files.set(VERIFIER_SETTINGS_FILE, verifierSettingsJson(input.config, input.refusalClassifier));
  files.set(entryName, entrySource);
  for (const [path, source] of python.package) files.set(path, source);
}

/**
 * Every file of the export, by path (the package's under alphaalign/), `python` as the CLI or
 * the page loads it. Throws ExportError when the run cannot be handed over faithfully.
 */
export function exportRun(target: ExportTarget, input: ExportInput, python: PythonSources): ExportFiles {
  const files: ExportFiles = new Map();
  if (target === 'trl') {
    verifierFiles(files, TRL_REWARDS_FILE, python.trlEntry, input, python);
    files.set(TRL_TRAIN_FILE, trlTrainScript(input));
    files.set('train.jsonl', trlJsonl(input.train, input.config, input.trainSource));
    if (input.eval.length > 0) files.set('eval.jsonl', trlJsonl(input.eval, input.config, input.evalSource));
    files.set('requirements.txt', trlRequirements());
    files.set('README.md', trlReadme(input));
  } else {
    verifierFiles(files, VERL_REWARD_FILE, python.verlEntry, input, python);
    files.set(VERL_SCRIPT_FILE, verlScript(input));
    files.set('train.parquet', verlParquet(input.train, input.config, 'train', input.trainSource));
    if (input.eval.length > 0) files.set('val.parquet', verlParquet(input.eval, input.config, 'test', input.evalSource));
    files.set('README.md', verlReadme(input));
  }
  files.set(RUN_CARD_FILE, `${JSON.stringify(exportRecord(target, input), null, 2)}\n`);
  return files;
}

/** The export as one zip, its files in a folder named after the target (the page's download). */
export function exportZip(target: ExportTarget, input: ExportInput, python: PythonSources): Uint8Array {
  const folder = `alphaalign-${target}`;
  const entries: Record<string, Uint8Array> = {};
  for (const [name, content] of exportRun(target, input, python)) entries[`${folder}/${name}`] = typeof content === 'string' ? strToU8(content) : content;
  return zipSync(entries);
}
