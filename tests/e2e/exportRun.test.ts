// The Export panel's hand-over in Chromium: "Export for TRL" / "Export for veRL" download a zip made
// from the state a run would start from, the demo data as loaded and a refusal rule as edited in
// the Rewards panel.
import { unzipSync, strFromU8 } from 'fflate';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ROWS, openLab, type Lab } from './browser.ts';

/** The names directly in the zip's folder (alphaalign-<target>/): files, and the package's folder once. */
const topLevel = (files: Record<string, Uint8Array>) => [...new Set(Object.keys(files).map((f) => f.split('/')[1]!))].sort();

describe('the Export panel hands the experiment to TRL and veRL', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
    await lab.page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  const download = async (testId: string) => {
    const [file] = await Promise.all([lab.page.waitForEvent('download'), lab.page.getByTestId(testId).click()]);
    return { name: file.suggestedFilename(), files: unzipSync(new Uint8Array(readFileSync((await file.path())!))) };
  };

  it('zips the data as loaded, the rules as edited and the model named, for each target', async () => {
    const { page } = lab;
    await expect.poll(() => page.getByTestId('dataset-count').getAttribute('data-count').then(Number), { timeout: 60_000 }).toBe(DEMO_ROWS);
    await page.getByTestId('reward-rules').getByTestId('rule-pattern').nth(0).fill(`it's "edited" \\ here`);
    await page.getByTestId('export-model').fill('Qwen/Qwen2.5-0.5B-Instruct');

    const trl = await download('export-trl');
    expect(trl.name).toBe('alphaalign-trl.zip');
    expect(topLevel(trl.files)).toEqual(['README.md', 'alphaalign', 'alphaalign_export.json', 'alphaalign_rewards.py', 'alphaalign_settings.json', 'eval.jsonl', 'requirements.txt', 'train.jsonl', 'train_grpo.py']);
    // The page bundles the package and the entry file as they are in python/.
    expect(strFromU8(trl.files['alphaalign-trl/alphaalign_rewards.py']!)).toBe(readFileSync('python/entrypoints/trl/alphaalign_rewards.py', 'utf8'));
    const packageFiles = readdirSync('python/alphaalign').filter((f) => f.endsWith('.py'));
    for (const file of packageFiles) expect(strFromU8(trl.files[`alphaalign-trl/alphaalign/${file}`]!), file).toBe(readFileSync(`python/alphaalign/${file}`, 'utf8'));
    const settings = JSON.parse(strFromU8(trl.files['alphaalign-trl/alphaalign_settings.json']!)) as { rules: { pattern: string }[] };
    expect(settings.rules[0]!.pattern).toBe(`it's "edited" \\ here`);
    const record = JSON.parse(strFromU8(trl.files['alphaalign-trl/alphaalign_export.json']!)) as { config: { refusal_rules: { pattern: string }[] }; model: string; data: { train: { rows: number }; eval: { rows: number } } };
    expect(record.config.refusal_rules[0]!.pattern).toBe(`it's "edited" \\ here`);
    expect(record.model).toBe('Qwen/Qwen2.5-0.5B-Instruct');
    expect(record.data.train.rows + record.data.eval.rows).toBe(DEMO_ROWS);
    expect(strFromU8(trl.files['alphaalign-trl/train.jsonl']!).trim().split('\n')).toHaveLength(record.data.train.rows);
    expect(strFromU8(trl.files['alphaalign-trl/train_grpo.py']!)).toContain('MODEL = "Qwen/Qwen2.5-0.5B-Instruct"');

    const verl = await download('export-verl');
    expect(topLevel(verl.files)).toEqual(['README.md', 'alphaalign', 'alphaalign_export.json', 'alphaalign_reward.py', 'alphaalign_settings.json', 'run_grpo.sh', 'train.parquet', 'val.parquet']);
    expect(Object.keys(verl.files).filter((f) => f.startsWith('alphaalign-verl/alphaalign/'))).toHaveLength(packageFiles.length);
    expect(strFromU8(verl.files['alphaalign-verl/run_grpo.sh']!)).toContain("'actor_rollout_ref.model.path=Qwen/Qwen2.5-0.5B-Instruct'");
    expect(lab.consoleErrors).toEqual([]);
  });

  it('says, on the page, why a rule Python cannot match exactly stops the export', async () => {
    const { page } = lab;
    const rule = page.getByTestId('reward-rules').getByTestId('reward-rule').nth(0);
    await rule.getByTestId('rule-kind').selectOption('regex');
    await rule.getByTestId('rule-pattern').fill(String.raw`(no)\1`);
    await page.getByTestId('export-trl').click();
    await expect.poll(() => page.getByTestId('export-problem').textContent()).toMatch(/Cannot export: refusal rule 1 .*backreference/);
  });

  it("keeps a TRL run's metrics as a run beside the lab's, and says what a wrong file is", async () => {
    const { page } = lab;
    const dir = mkdtempSync(join(tmpdir(), 'lab-import-run-'));
    const step = (n: number) => ({ step: n, epoch: n / 10, reward: 0.2 * n, 'rewards/refusal_rate_harmful/mean': 0.5, kl: 0.01, loss: 0.1 });
    const state = join(dir, 'trainer_state.json');
    writeFileSync(state, JSON.stringify({ global_step: 3, log_history: [step(1), step(2), step(3)] }));
    await page.getByTestId('import-run-log').setInputFiles(state);
    await expect.poll(() => page.getByTestId('import-run-log-message').textContent()).toMatch(/Imported 3 steps of a TRL run .*Not charted \(no lab counterpart\): loss\./);
    const row = page.getByTestId('run-row').filter({ hasText: 'TRL run (trainer_state.json)' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-step')).toBe('3');

    const wrong = join(dir, 'config.json');
    writeFileSync(wrong, JSON.stringify({ lr: 1 }));
    await page.getByTestId('import-run-log').setInputFiles(wrong);
    await expect.poll(() => page.getByTestId('import-run-log-message').textContent()).toMatch(/Cannot import: .*config\.json:1 has no "step"/);
  });
});
