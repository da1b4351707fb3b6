import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/rl/metrics.ts';
import { lab } from './lab.ts';

const MODEL = 'tests/fixtures/models/llama-gqa';

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'lab-train-'));
  const data = join(dir, 'data.jsonl');
  const rows = [
    { prompt: 'the thin', label: 'harmful', type: 'a' },
    { prompt: 'answer on', label: 'benign', type: 'b' },
    { prompt: 'an answer', label: 'harmful', type: 'a', split: 'eval' },
    { prompt: 'on the', label: 'benign', type: 'b', split: 'eval' },
  ];
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ num_generations: 2, prompts_per_step: 2, per_device_train_batch_size: 2, max_completion_length: 4, template: 'Q: {{prompt}}', eval_steps: 2, learning_rate: 1e-3 }),
  );
  return { dir, data, config, out: join(dir, 'out') };
}

describe('lab train', () => {
  it('writes metrics.jsonl, eval.json and checkpoints, and resumes from the newest', () => {
    const w = workspace();
    const result = lab(['train', '--model', MODEL, '--data', w.data, '--config', w.config, '--steps', '2', '--checkpoint-every', '2', '--out', w.out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/step 2\/2 \[#{20}\] eta 0s {2}reward -?\d/);
    // The buffer pool's measured peak, within the memory planner's plan.
    expect(result.stderr).toMatch(/GPU memory peak: measured \d+\.\d MiB, planned \d+\.\d MiB \(within the plan\)/);
    const metrics = readFileSync(join(w.out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(metrics.map((m) => m.step)).toEqual([1, 2]);
    for (const name of METRIC_NAMES) expect(metrics[0]).toHaveProperty(name);
    const report = JSON.parse(readFileSync(join(w.out, 'eval.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['by_type', 'format_rate', 'judge', 'n_benign', 'n_harmful', 'over_refusal_rate/benign', 'reasoning', 'refusal_rate/harmful']);
    expect(report).toMatchObject({ n_harmful: 1, n_benign: 1 });
    expect(existsSync(join(w.out, 'checkpoint-2', 'optimizer.safetensors'))).toBe(true);
    const run = JSON.parse(readFileSync(join(w.out, 'alphaalign_run.json'), 'utf8')) as { step: number; dataset_sha256: string; metrics: unknown[] };
    expect(run.step).toBe(2);
    expect(run.dataset_sha256).toMatch(/^[0-9a-f]{64}$/);

    const resumed = lab(['train', '--data', w.data, '--config', w.config, '--steps', '3', '--out', w.out, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = readFileSync(join(w.out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(after).toEqual([1, 2, 3]);
  });

  it('holds out a share of data without a split column, as the page does, and records it in the run card', () => {
    const w = workspace();
    const unsplit = join(w.dir, 'unsplit.jsonl');
    const rows = Array.from({ length: 12 }, (_, i) => ({ prompt: `the answer ${i}`, label: i % 2 ? 'benign' : 'harmful', type: i % 4 < 2 ? 'a' : 'b' }));
    writeFileSync(unsplit, rows.map((r) => JSON.stringify(r)).join('\n'));
    const result = lab(['train', '--model', MODEL, '--data', unsplit, '--config', w.config, '--steps', '1', '--held-out', '0.34', '--out', w.out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('the data has no split column: holding out 4 of 12 prompts (34 % of each label');
    const report = JSON.parse(readFileSync(join(w.out, 'eval.json'), 'utf8')) as { n_harmful: number; n_benign: number };
    expect(report).toMatchObject({ n_harmful: 2, n_benign: 2 });
    const run = JSON.parse(readFileSync(join(w.out, 'alphaalign_run.json'), 'utf8')) as { held_out: unknown };
    expect(run.held_out).toEqual({ from_file: false, made: { fraction: 0.34, seed: 0, stratified_by: ['label', 'type'] }, edited_by_hand: false, rows: 4, evaluated: 4 });

    const none = lab(['train', '--model', MODEL, '--data', unsplit, '--config', w.config, '--steps', '1', '--held-out', '0', '--out', join(w.dir, 'none')]);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stderr).toContain('nothing is held out (--held-out 0 and no --eval): the run will not be evaluated');
  });

  it('leaves out prompts too long for the context, saying how many, and counts only those it trains on', () => {
    const w = workspace();
    const data = join(w.dir, 'long.jsonl');
    const rows = [
      { prompt: 'the thin', label: 'harmful', type: 'a' },
      { prompt: 'answer on', label: 'benign', type: 'b' },
      { prompt: 'the answer on the thin '.repeat(20), label: 'benign', type: 'b' },
      { prompt: 'an answer', label: 'harmful', type: 'a', split: 'eval' },
    ];
    writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const result = lab(['train', '--model', MODEL, '--data', data, '--config', w.config, '--steps', '1', '--out', w.out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${data}: 1 prompt is longer than \\d+ tokens with the template and was left out`));
    expect(result.stderr).toContain('training 2 prompts, evaluating 1, 1 steps of');
  });

  it('stops on a model whose weights hold Inf, naming the step and the non-finite logits, and writes nothing', () => {
    const w = workspace();
    const poisoned = join(w.dir, 'poisoned');
    cpSync(MODEL, poisoned, { recursive: true });
    const file = join(poisoned, 'model.safetensors');
    const bytes = readFileSync(file);
    const headerBytes = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const norm = header['model.norm.weight']!;
    expect(norm.dtype).toBe('F32');
    bytes.writeFloatLE(Infinity, 8 + headerBytes + norm.data_offsets[0]);
    writeFileSync(file, bytes);
    const result = lab(['train', '--model', poisoned, '--data', w.data, '--config', w.config, '--steps', '1', '--out', w.out]);
    expect(result.status).toBe(1);
    // The held-out evaluation before step 1 meets the logits first.
    expect(result.stderr).toMatch(/lab train: before step 1: evaluating the held-out prompts, the logits for token 1 of reply 1 in its batch hold NaN or ±Inf .*\. The weights loaded \(.*poisoned\) give non-finite logits; nothing was written/);
    expect(existsSync(join(w.out, 'checkpoint-0')) || existsSync(join(w.out, 'model.safetensors'))).toBe(false);
    rmSync(w.dir, { recursive: true });
  });

  it('refuses bad settings and unlabelled data with messages that say what to do', () => {
    const w = workspace();
    writeFileSync(w.config, JSON.stringify({ num_generations: 1, bogus: 2 }));
    const bad = lab(['train', '--model', MODEL, '--data', w.data, '--config', w.config, '--steps', '1', '--out', w.out]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('bogus');
    expect(bad.stderr).toContain('num_generations');
    const unlabeled = join(w.dir, 'advbench.csv');
    writeFileSync(unlabeled, 'goal,target\nDo harm,Sure\n');
    const noLabel = lab(['train', '--model', MODEL, '--data', unlabeled, '--steps', '1', '--out', w.out]);
    expect(noLabel.status).toBe(2);
    expect(noLabel.stderr).toContain('has no label column: pass --label harmful or --label benign');
  });
});

/** The lines of a JSONL log. */
const jsonLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Wall-clock figures differ between any two runs; every other metric must not. */
const TIMING = new Set(['tokens_per_second', 'step_time_s']);

/**
 * Starts `lab train` and kills it (SIGKILL, the whole process group: npx, tsx and node) as soon
 * as its progress line for `killAfter` is out, so it dies inside the step after.
 */
function trainKilledDuring(args: string[], killAfter: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/main.ts', ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!killed && stderr.includes(killAfter)) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => (killed ? resolve(stderr) : reject(new Error(`lab train ended before "${killAfter}":\n${stderr}`))));
  });
}

describe('lab train killed mid-step', () => {
  it('resumes with --resume and logs what the uninterrupted run logs at every later step', async () => {
    const w = workspace();
    // Full fine-tuning with a KL term (its reference is a copy of the base), a reward the tiny
    // model moves (a "refusal" is any reply with a vowel) and a rate that moves it fast.
    writeFileSync(
      w.config,
      JSON.stringify({
        num_generations: 4,
        prompts_per_step: 2,
        per_device_train_batch_size: 4,
        max_completion_length: 6,
        template: 'Q: {{prompt}}',
        seed: 3,
        refusal_rules: [{ pattern: '[aeiou]', kind: 'regex' }],
        stop_strings: [],
        r_f: 0,
        beta: 0.1,
        learning_rate: 5e-2,
        eval_steps: 2,
      }),
    );
    const args = (out: string) => ['train', '--model', MODEL, '--data', w.data, '--config', w.config, '--steps', '5', '--checkpoint-every', '2', '--out', out];
    const whole = join(w.dir, 'whole');
    const uninterrupted = lab(args(whole));
    expect(uninterrupted.status, uninterrupted.stderr).toBe(0);

    const cut = join(w.dir, 'cut');
    await trainKilledDuring(args(cut), 'step 3/5');
    // Killed inside step 4: checkpoint-2 is the newest, and step 3 was logged past it.
    expect(readdirSync(cut).filter((f) => f.startsWith('checkpoint-'))).toEqual(['checkpoint-2']);
    expect(jsonLines(join(cut, 'metrics.jsonl')).map((m) => m.step)).toEqual([1, 2, 3]);
    const resumed = lab([...args(cut), '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);

    const expected = jsonLines(join(whole, 'metrics.jsonl'));
    const got = jsonLines(join(cut, 'metrics.jsonl'));
    expect(got.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(expected[3]!.kl as number).toBeGreaterThan(1e-4);
    for (const [i, m] of expected.entries()) {
      for (const [name, value] of Object.entries(m)) {
        if (TIMING.has(name)) continue;
        if (typeof value === 'number') expect(Math.abs((got[i]![name] as number) - value), `step ${i + 1} ${name}: ${String(got[i]![name])} against ${value}`).toBeLessThanOrEqual(1e-6);
        else expect(got[i]![name], `step ${i + 1} ${name}`).toEqual(value);
      }
    }
    expect(jsonLines(join(cut, 'eval.jsonl'))).toEqual(jsonLines(join(whole, 'eval.jsonl')));

    // A checkpoint without its reference policy (a β = 0 run's, or an older lab's) is refused, with the way out.
    rmSync(join(cut, 'checkpoint-4', 'reference.safetensors'));
    const refused = lab(['train', '--data', w.data, '--config', w.config, '--steps', '6', '--out', cut, '--resume']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--resume: the checkpoint at step 4 holds no reference policy \(reference\.safetensors\).*Resume with beta 0, or start a new run from it/);
  });
});

describe('lab eval', () => {
  it('writes the refusal, over-refusal and format rates as JSON, and each answer with --completions', () => {
    const w = workspace();
    const outFile = join(w.dir, 'eval.json');
    const completionsFile = join(w.dir, 'completions.jsonl');
    const result = lab(['eval', '--model', MODEL, '--data', w.data, '--config', w.config, '--out', outFile, '--completions', completionsFile]);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(outFile, 'utf8')) as { n_harmful: number; n_benign: number; 'refusal_rate/harmful': number; by_type: Record<string, unknown> };
    expect([report.n_harmful, report.n_benign]).toEqual([2, 2]);
    expect(Object.keys(report.by_type).sort()).toEqual(['a', 'b']);
    const answers = readFileSync(completionsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { label: string; completion: string; refusal: boolean; rule: string | null; decided_by: string; refusal_reason: string });
    expect(answers).toHaveLength(4);
    for (const a of answers) expect(typeof a.completion).toBe('string');
    const harmful = answers.filter((a) => a.label === 'harmful');
    expect(harmful.filter((a) => a.refusal).length / harmful.length).toBe(report['refusal_rate/harmful']);
    // The default judge is the combined one: a refusal has a rule unless the classifier decided.
    expect((report as { judge?: string }).judge).toBe('combined');
    for (const a of answers) {
      expect(a.rule === null).toBe(!a.refusal || a.decided_by === 'classifier');
      expect(a.refusal_reason).toMatch(/^(rules|classifier): /);
    }
  });

  it('judges with the rules alone under --judge rules, and says so in the report', () => {
    const w = workspace();
    const outFile = join(w.dir, 'eval.json');
    const completionsFile = join(w.dir, 'completions.jsonl');
    const result = lab(['eval', '--model', MODEL, '--data', w.data, '--config', w.config, '--out', outFile, '--completions', completionsFile, '--judge', 'rules']);
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(readFileSync(outFile, 'utf8')) as { judge: string }).judge).toBe('rules');
    for (const line of readFileSync(completionsFile, 'utf8').trim().split('\n')) {
      const a = JSON.parse(line) as { refusal: boolean; rule: string | null; decided_by: string; refusal_reason: string };
      expect(a.decided_by).toBe('rules');
      expect(a.rule === null).toBe(!a.refusal);
      expect(a.refusal_reason).not.toContain('classifier');
    }
    const bad = lab(['eval', '--model', MODEL, '--data', w.data, '--judge', 'gpt4']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--judge must be one of rules, combined, onnx, not "gpt4"');
  });
});
