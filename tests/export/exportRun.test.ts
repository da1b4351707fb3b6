// `lab export-run` as a user runs it: the files for TRL and veRL from the demo's data, config and
// an edited rule list; the verifiers are the repository's Python package and entry files as they
// are, with the run's settings beside them; the Python compiles, the shell script parses, the data reads back (the
// Parquet files with an independent reader, hyparquet) in the target's format, the README lists
// what did not carry over, and what cannot be exported is refused with the way out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src/data/import.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { renderTemplate } from '../../src/rl/template.ts';
import { APP_VERSION } from '../../src/version.ts';
import { lab } from '../cli/lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'lab-export-run-'));
const DATA = 'public/datasets/demo-train.jsonl';
const EVAL = 'public/datasets/demo-eval.jsonl';
const rows = (path: string) => importDataset(readFileSync(path, 'utf8'), path).rows;

const rulesPath = join(dir, 'rules.json');
const RULES = [
  { pattern: 'Sorry', kind: 'prefix', caseSensitive: false },
  { pattern: String.raw`(?<=^|\. )I (?:can't|cannot)\b "quoted" \\`, kind: 'regex', caseSensitive: true },
  { pattern: 'désolé', kind: 'contains', caseSensitive: false },
];
writeFileSync(rulesPath, JSON.stringify(RULES));
const configPath = join(dir, 'config.json');
const CONFIG = {
  ...(JSON.parse(readFileSync('public/datasets/demo-config.json', 'utf8')) as object),
  finetune: { kind: 'lora', rank: 16, alpha: 32, targets: ['q_proj', 'v_proj'], dropout: 0.05 },
  helpfulness_scorer: { kind: 'overlap', metric: 'f1' },
  lr_scheduler_type: 'cosine',
  warmup_steps: 5,
};
writeFileSync(configPath, JSON.stringify(CONFIG));

function exportTo(target: string, extra: string[] = []) {
  const out = join(dir, target);
  const result = lab(['export-run', '--target', target, '--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--data', DATA, '--eval', EVAL, '--config', configPath, '--rules', rulesPath, '--out', out, ...extra]);
  expect(result.status, result.stderr).toBe(0);
  return out;
}

/** The entry file and every file of python/alphaalign, byte for byte, and the settings for the run's rules. */
function expectVerifiersCopied(folder: string, entry: string) {
  expect(readFileSync(join(folder, entry.split('/').pop()!), 'utf8')).toBe(readFileSync(join('python', entry), 'utf8'));
  const packageFiles = readdirSync('python/alphaalign').filter((f) => f.endsWith('.py')).sort();
  expect(readdirSync(join(folder, 'alphaalign')).filter((f) => f.endsWith('.py')).sort()).toEqual(packageFiles);
  for (const file of packageFiles) expect(readFileSync(join(folder, 'alphaalign', file), 'utf8'), file).toBe(readFileSync(join('python/alphaalign', file), 'utf8'));
  const settings = JSON.parse(readFileSync(join(folder, 'alphaalign_settings.json'), 'utf8')) as { kind: string; rules: { pattern: string; python: string }[] };
  expect(settings.kind).toBe('alphaalign-verifier-settings');
  expect(settings.rules.map((r) => r.pattern)).toEqual(RULES.map((r) => r.pattern));
  expect(settings.rules.every((r) => r.python.length > 0)).toBe(true);
}

function pyCompiles(folder: string) {
  const python = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.py'));
  expect(python.length).toBeGreaterThan(0);
  for (const file of python) {
    // -W error: a SyntaxWarning (an invalid escape in a generated literal) fails too.
    const result = spawnSync('python3', ['-W', 'error', '-m', 'py_compile', join(folder, file)], { encoding: 'utf8' });
    expect(result.status, `${file}: ${result.stderr}`).toBe(0);
  }
}

describe('lab export-run --target trl', () => {
  let out = '';
  beforeAll(() => {
    out = exportTo('trl');
  });

  it('writes the verifiers, the trainer script, the data, requirements and a README; the Python compiles', () => {
    expect(readdirSync(out).sort()).toEqual(['README.md', 'alphaalign', 'alphaalign_export.json', 'alphaalign_rewards.py', 'alphaalign_settings.json', 'eval.jsonl', 'requirements.txt', 'train.jsonl', 'train_grpo.py']);
    pyCompiles(out);
    expect(readFileSync(join(out, 'requirements.txt'), 'utf8')).toMatch(/^trl>=1\.0,<2$/m);
  });

  it("writes the prompts in TRL's conversational format, the template applied, with label, type and source", () => {
    const train = readFileSync(join(out, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = rows(DATA);
    expect(train).toHaveLength(expected.length);
    const config = parseRlConfig(CONFIG);
    train.forEach((row, i) => {
      expect(row.prompt).toEqual([{ role: 'user', content: renderTemplate(config.template, expected[i]!.prompt) }]);
      expect(row.label).toBe(expected[i]!.label);
      expect(row.type).toBe(expected[i]!.type ?? '');
      expect(row.source).toBe('demo-train.jsonl');
    });
    expect(readFileSync(join(out, 'eval.jsonl'), 'utf8').trim().split('\n')).toHaveLength(rows(EVAL).length);
  });

  it('launches GRPOTrainer with the LoRA adapters and both rewards, and explains each setting', () => {
    const script = readFileSync(join(out, 'train_grpo.py'), 'utf8');
    expect(script).toContain('GRPOTrainer(');
    expect(script).toMatch(/peft_config = LoraConfig\(\n\s+r=16,.*\n\s+lora_alpha=32,/);
    expect(script).toContain('target_modules=["q_proj", "v_proj"]');
    expect(script).toContain('reward_funcs=[safety_reward, helpfulness_reward, format_rate, refusal_rate_harmful, over_refusal_rate_benign]');
    expect(script).toContain('reward_weights=[1, 1, 0, 0, 0]');
    expect(script).toContain('loss_type="dapo",  # the lab divides');
    expect(script).toContain('lr_scheduler_type="cosine"');
    expect(script).toContain('MODEL = "Qwen/Qwen2.5-1.5B-Instruct"');
  });

  it('lists what TRL has no counterpart for, and records the lab version, the config and the run card', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('accelerate launch train_grpo.py');
    expect(readme).toContain('accelerate launch --num_processes 8 train_grpo.py');
    for (const setting of ['balance_labels (true)', 'stop_strings', 'generation_batch_size', 'helpfulness group normalisation', 'learned refusal classifier', 'uses the **rules** judge']) expect(readme).toContain(setting);
    const record = JSON.parse(readFileSync(join(out, 'alphaalign_export.json'), 'utf8')) as Record<string, any>;
    expect(record.appVersion).toBe(APP_VERSION);
    expect(record.target).toBe('trl');
    expect(record.config).toEqual(JSON.parse(JSON.stringify(parseRlConfig({ ...CONFIG, refusal_rules: RULES }))));
    expect(record.runCard.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.runCard.rules).toBe(rulesPath);
  });

  it('copies the package and the entry file as they are in python/, with the settings the lab writes: no generated Python module', () => {
    expectVerifiersCopied(out, 'entrypoints/trl/alphaalign_rewards.py');
    expect(readFileSync(join(out, 'train_grpo.py'), 'utf8')).toContain('from alphaalign_rewards import safety_reward, helpfulness_reward, format_rate, refusal_rate_harmful, over_refusal_rate_benign');
  });

  it("classifies from the written folder as lab classify does, the user's rules included", () => {
    const csv = join(dir, 'completions.csv');
    writeFileSync(csv, 'completion\nSorry: no.\nI can\'t "quoted" \\ do it.\nVoilà: désolé\nSure: here it is.\n');
    const fromLab = lab(['classify', '--in', csv, '--rules', rulesPath, '--judge', 'rules']);
    const fromPython = spawnSync('python3', [join(out, 'alphaalign_rewards.py'), 'classify', csv, '--judge', 'rules'], { encoding: 'utf8' });
    expect(fromLab.status, fromLab.stderr).toBe(0);
    expect(fromPython.status, fromPython.stderr).toBe(0);
    expect(fromPython.stdout).toBe(fromLab.stdout);
    expect(fromLab.stdout.match(/"refusal":true/g)).toHaveLength(3);
  });
});

describe('lab export-run --target verl', () => {
  let out = '';
  beforeAll(() => {
    out = exportTo('verl');
  });

  it('writes the verifiers, the launch script, the Parquet files and a README; the Python compiles, the script parses', () => {
    expect(readdirSync(out).sort()).toEqual(['README.md', 'alphaalign', 'alphaalign_export.json', 'alphaalign_reward.py', 'alphaalign_settings.json', 'run_grpo.sh', 'train.parquet', 'val.parquet']);
    pyCompiles(out);
    expectVerifiersCopied(out, 'entrypoints/verl/alphaalign_reward.py');
    const shell = spawnSync('bash', ['-n', join(out, 'run_grpo.sh')], { encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
  });

  it("writes veRL's row format, read back by an independent reader", async () => {
    const config = parseRlConfig(CONFIG);
    for (const [file, path, split] of [['train.parquet', DATA, 'train'], ['val.parquet', EVAL, 'test']] as const) {
      const bytes = readFileSync(join(out, file));
      const file_ = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const schema = parquetSchema(parquetMetadata(file_));
      const shape = (node: typeof schema): unknown => (node.children.length === 0 ? node.element.name : { [node.element.name]: node.children.map(shape) });
      expect(schema.children.map(shape)).toEqual([
        'data_source',
        { prompt: [{ list: [{ element: ['role', 'content'] }] }] },
        'ability',
        { reward_model: ['style', 'ground_truth'] },
        { extra_info: ['split', 'index', 'id', 'type', 'source', 'reference'] },
      ]);
      const records = (await parquetReadObjects({ file: file_ })) as Record<string, any>[];
      const expected = rows(path);
      expect(records).toHaveLength(expected.length);
      records.forEach((record, i) => {
        expect(record.data_source).toBe('alphaalign');
        expect(record.prompt).toEqual([{ role: 'user', content: renderTemplate(config.template, expected[i]!.prompt) }]);
        expect(record.ability).toBe('safety');
        expect(record.reward_model).toEqual({ style: 'rule', ground_truth: expected[i]!.label });
        expect(record.extra_info).toMatchObject({ split, index: BigInt(i), id: expected[i]!.id, type: expected[i]!.type ?? '' });
      });
    }
  });

  it('passes the overrides to verl.trainer.main_ppo, locally and through ray job submit', () => {
    const script = readFileSync(join(out, 'run_grpo.sh'), 'utf8');
    expect(script).toMatch(/ray job submit .*\\\n.*\\\n\s+-- python3 -m verl\.trainer\.main_ppo "\$\{OVERRIDES\[@\]\}"/);
    // The array as bash expands it, with the node count and folder the script would use.
    const expanded = spawnSync('bash', ['-c', `DIR=/data/x NNODES=4 GPUS_PER_NODE=8; eval "$(sed -n '/^OVERRIDES=(/,/^)/p' "$0")"; printf '%s\\n' "\${OVERRIDES[@]}"`, join(out, 'run_grpo.sh')], { encoding: 'utf8' });
    expect(expanded.status, expanded.stderr).toBe(0);
    const overrides = expanded.stdout.trim().split('\n');
    for (const expected of [
      'algorithm.adv_estimator=grpo',
      'actor_rollout_ref.rollout.n=8',
      'data.max_response_length=48',
      'actor_rollout_ref.actor.use_kl_loss=True',
      'actor_rollout_ref.actor.kl_loss_coef=0.1',
      'actor_rollout_ref.actor.kl_loss_type=low_var_kl',
      'actor_rollout_ref.actor.clip_ratio_low=0.2',
      'actor_rollout_ref.actor.clip_ratio_high=0.2',
      'actor_rollout_ref.actor.optim.lr=0.0005',
      'actor_rollout_ref.model.lora_rank=16',
      'actor_rollout_ref.model.lora_alpha=32',
      'actor_rollout_ref.model.target_modules=[q_proj,v_proj]',
      'trainer.total_training_steps=200',
      'trainer.nnodes=4',
      'trainer.n_gpus_per_node=8',
      'data.train_files=/data/x/train.parquet',
      'custom_reward_function.path=/data/x/alphaalign_reward.py',
      'custom_reward_function.name=compute_score',
    ]) expect(overrides).toContain(expected);
  });

  it('says how the group-normalised helpfulness maps onto veRL, and what has no counterpart', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const text of ['advantage estimator', 'seed (42)', 'stop_strings', 'balance_labels (true)', 'ray job submit', 'learned refusal classifier', 'evaluates with the **combined** judge']) expect(readme).toContain(text);
  });
});

describe('lab export-run refuses what it cannot hand over faithfully', () => {
  it('gae for TRL, naming the way out', () => {
    const gae = join(dir, 'gae.json');
    writeFileSync(gae, JSON.stringify({ advantage_estimator: 'gae' }));
    const result = lab(['export-run', '--target', 'trl', '--model', 'm', '--data', DATA, '--config', gae, '--out', join(dir, 'gae')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot export for trl: advantage_estimator gae: .*export for veRL/);
  });

  it('a rule Python cannot match exactly, by its number', () => {
    const rules = join(dir, 'backref.json');
    writeFileSync(rules, JSON.stringify([{ pattern: 'Sorry', kind: 'prefix' }, { pattern: String.raw`(no)\1`, kind: 'regex' }]));
    const result = lab(['export-run', '--target', 'verl', '--model', 'm', '--data', DATA, '--rules', rules, '--out', join(dir, 'backref')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/refusal rule 2 .*backreference/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a run judged by the user\'s ONNX refusal classifier: the Python judges with the rules, and the README says so', () => {
    const onnx = join(dir, 'onnx-judge.json');
    writeFileSync(onnx, JSON.stringify({ reward_judge: 'onnx', eval_judge: 'onnx' }));
    for (const target of ['trl', 'verl']) {
      const folder = join(dir, `onnx-${target}`);
      const result = lab(['export-run', '--target', target, '--model', 'm', '--data', DATA, '--config', onnx, '--out', folder]);
      expect(result.status, result.stderr).toBe(0);
      const settings = JSON.parse(readFileSync(join(folder, 'alphaalign_settings.json'), 'utf8')) as { judge: { reward: string; eval: string; classifier: unknown } };
      expect(settings.judge).toMatchObject({ reward: 'rules', eval: 'rules', classifier: null });
      expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain('**reward_judge and eval_judge "onnx"**: judged with the rules alone in the exported Python');
      pyCompiles(folder);
    }
  });

  it('a missing target', () => {
    const result = lab(['export-run', '--model', 'm', '--data', DATA, '--out', join(dir, 'none')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--target is required: one of trl, verl');
  });
});
