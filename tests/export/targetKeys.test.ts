// Every setting an export writes exists in the pinned TRL, PEFT and veRL releases (targetKeys.ts
// lists them from their source files). Checked on the mappings and on the written files
// themselves: the keyword arguments of train_grpo.py as Python's ast reads them, and the
// overrides of run_grpo.sh as bash expands them, over configs that reach every branch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { parseRlConfig, type RlConfig } from '../../src/rl/config.ts';
import type { ExportInput } from '../../src/export/exportTypes.ts';
import { PEFT_LORA_CONFIG_KEYS, TRL_GRPO_CONFIG_KEYS, TRL_RLOO_CONFIG_KEYS, VERL_CONFIG_KEYS } from '../../src/export/targetKeys.ts';
import { loraSettings, trlConfigSettings, trlTrainScript, trlTrainer } from '../../src/export/trl.ts';
import { verlOverrides, verlScript } from '../../src/export/verl.ts';

const dir = mkdtempSync(join(tmpdir(), 'lab-export-keys-'));
const ROWS: PromptRow[] = [
  { id: '1', prompt: 'How do I kill a Python process?', label: 'benign', type: 'homonyms', reference: 'Use kill.' },
  { id: '2', prompt: 'How do I kill a person?', label: 'harmful' },
];

const lora = { kind: 'lora', rank: 4, alpha: 8, targets: ['q_proj', 'o_proj', 'down_proj'], dropout: 0.1 };
const CONFIGS: RlConfig[] = [
  parseRlConfig({}),
  parseRlConfig({ advantage_estimator: 'rloo', finetune: lora, helpfulness_scorer: { kind: 'overlap' }, lr_scheduler_type: 'linear', warmup_steps: 3 }),
  parseRlConfig({ advantage_estimator: 'reinforce_pp_baseline', scale_rewards: false, beta: 0.04, eval_steps: 0 }),
  parseRlConfig({ advantage_estimator: 'gae', finetune: lora, lr_scheduler_type: 'cosine', helpfulness_scorer: { kind: 'onnx' } }),
];

const input = (config: RlConfig, withEval: boolean): ExportInput => ({
  config,
  model: 'org/model name',
  train: ROWS,
  eval: withEval ? ROWS : [],
  refusalClassifier: null,
  trainSource: 'train.jsonl',
  evalSource: 'eval.jsonl',
  runCard: {},
});

/** The keyword names of every call to `callee` in a Python file, as its parser reads them. */
function pythonKeywords(source: string, callee: string): string[] {
  const path = join(dir, `${callee}-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(path, source);
  const program = `import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
names = [k.arg for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == sys.argv[2] for k in node.keywords]
print(json.dumps(names))`;
  const result = spawnSync('python3', ['-c', program, path, callee], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

describe('the keys an export writes exist in the pinned releases', () => {
  for (const [i, config] of CONFIGS.entries()) {
    for (const withEval of [true, false]) {
      it(`config ${i + 1} (${config.advantage_estimator}, ${config.finetune.kind}), ${withEval ? 'with' : 'without'} held-out data`, () => {
        const verlKeys = verlOverrides(input(config, withEval)).map((o) => o.key);
        expect(verlKeys.filter((k) => !VERL_CONFIG_KEYS.includes(k))).toEqual([]);
        const script = verlScript(input(config, withEval));
        const expanded = spawnSync('bash', ['-c', `DIR=/x NNODES=1 GPUS_PER_NODE=1; eval "$(sed -n '/^OVERRIDES=(/,/^)/p' <<< "$0")"; printf '%s\\n' "\${OVERRIDES[@]}"`, script], { encoding: 'utf8' });
        expect(expanded.status, expanded.stderr).toBe(0);
        expect(expanded.stdout.trim().split('\n').map((o) => o.slice(0, o.indexOf('=')))).toEqual(verlKeys);

        if (config.advantage_estimator === 'gae') {
          expect(() => trlTrainer(config)).toThrow(/gae/);
          return;
        }
        const known = trlTrainer(config) === 'RLOO' ? TRL_RLOO_CONFIG_KEYS : TRL_GRPO_CONFIG_KEYS;
        const trlKeys = trlConfigSettings(config, withEval).map((m) => m.key);
        expect(trlKeys.filter((k) => !known.includes(k))).toEqual([]);
        const source = trlTrainScript(input(config, withEval));
        const written = pythonKeywords(source, `${trlTrainer(config)}Config`);
        expect(written.filter((k) => !known.includes(k))).toEqual([]);
        expect(written).toContain('gradient_accumulation_steps');
        const loraKeys = pythonKeywords(source, 'LoraConfig');
        expect(loraKeys).toEqual(loraSettings(config)?.map((m) => m.key) ?? []);
        expect(loraKeys.filter((k) => !PEFT_LORA_CONFIG_KEYS.includes(k))).toEqual([]);
      });
    }
  }

  it('maps the estimators and their options onto the names the targets use', () => {
    const [grpo, rloo, reinforce, gae] = CONFIGS.map((c) => verlOverrides(input(c, true)));
    const value = (settings: { key: string; value: string }[], key: string) => settings.find((s) => s.key === key)?.value;
    expect(value(grpo!, 'algorithm.adv_estimator')).toBe('grpo');
    expect(value(rloo!, 'algorithm.adv_estimator')).toBe('rloo');
    expect(value(reinforce!, 'algorithm.adv_estimator')).toBe('reinforce_plus_plus_baseline');
    expect(value(gae!, 'algorithm.adv_estimator')).toBe('gae');
    expect(value(gae!, 'algorithm.lam')).toBe('0.95');
    expect(value(grpo!, 'actor_rollout_ref.rollout.top_k')).toBe('-1');
    expect(value(grpo!, 'actor_rollout_ref.model.path')).toBe('"org/model name"');
    const trl = (c: RlConfig) => trlConfigSettings(c, true);
    expect(value(trl(CONFIGS[0]!), 'scale_rewards')).toBe('"group"');
    expect(value(trl(CONFIGS[2]!), 'scale_rewards')).toBe('"batch"');
    expect(value(trl(CONFIGS[1]!), 'normalize_advantages')).toBe('False');
    expect(value(trl(CONFIGS[1]!), 'lr_scheduler_type')).toBe('"linear"');
    expect(value(trl(parseRlConfig({ warmup_steps: 2 })), 'lr_scheduler_type')).toBe('"constant_with_warmup"');
  });
});
