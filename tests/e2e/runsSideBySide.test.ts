// Runs side by side in Chromium: a tiny run of the lab and an imported TRL log (trainer_state.json)
// drawn together on the refusal chart, each in its colour under its name, one hidden with a click;
// then a checkpoint zip added to compare, in the charts and in the Eval panel's column for it.
import { strToU8, zipSync } from 'fflate';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from './axe.ts';
import { openLab, type Lab } from './browser.ts';

describe('runs side by side in the charts', () => {
  let lab: Lab;
  let page: Page;
  beforeAll(async () => {
    lab = await openLab();
    page = lab.page;
    await page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('shows a lab run and an imported TRL run on the refusal chart, hides one with a click, and adds a checkpoint to compare', { timeout: 300_000 }, async () => {
    await expect.poll(() => page.getByTestId('model-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    // A one-step run, as small as SwiftShader allows; nothing evaluated.
    await page.getByTestId('train-steps').fill('1');
    for (const [key, value] of [['prompts_per_step', '2'], ['num_generations', '2'], ['per_device_train_batch_size', '2'], ['max_completion_length', '4'], ['eval_steps', '0']]) {
      await page.getByTestId(`cfg-${key}`).fill(value!);
    }
    await page.getByTestId('train-eval-limit').fill('0');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-progress').getAttribute('data-state'), { timeout: 240_000, interval: 500 }).toBe('finished');

    // A TRL run's log, imported: it opens in the charts; the lab's run is kept, not shown.
    const dir = mkdtempSync(join(tmpdir(), 'runs-side-by-side-'));
    const state = join(dir, 'trainer_state.json');
    const entry = (step: number) => ({ step, reward: 0.2 * step, 'rewards/refusal_rate_harmful/mean': 0.25 * step, kl: 0.01 });
    writeFileSync(state, JSON.stringify({ global_step: 3, log_history: [entry(1), entry(2), entry(3)] }));
    await page.getByTestId('import-run-log').setInputFiles(state);
    await expect.poll(() => page.getByTestId('import-run-log-message').textContent()).toMatch(/Imported 3 steps of a TRL run/);

    const chart = page.getByTestId('chart-refusal-rate');
    const choices = page.getByTestId('run-choice');
    await expect.poll(() => choices.count()).toBe(2);
    const trl = choices.filter({ has: page.locator('input[placeholder^="TRL run (trainer_state.json)"]') });
    const labRun = choices.filter({ hasNot: page.locator('input[placeholder^="TRL run"]') });
    expect(await trl.getAttribute('data-shown')).toBe('true');
    expect(await labRun.getAttribute('data-shown')).toBe('false');
    await expect.poll(() => chart.getAttribute('data-series')).toBe('train');

    // One click shows the lab's run beside it: a line each, in two colours, named in the legend.
    await labRun.getByTestId('run-name').fill('one step');
    await labRun.getByTestId('run-shown').click();
    await expect.poll(() => chart.getAttribute('data-series')).toBe('train-0 train-1');
    await expect.poll(() => chart.locator('.recharts-line').count()).toBe(2);
    const strokes = await chart.locator('.recharts-line path.recharts-curve').evaluateAll((paths) => paths.map((p) => p.getAttribute('stroke')));
    expect(new Set(strokes).size).toBe(2);
    const legend = await chart.locator('.recharts-legend-wrapper').textContent();
    expect(legend).toContain('TRL run (trainer_state.json)');
    expect(legend).toContain('one step: train rollouts');

    // One click hides the TRL run: the lab's run alone, in its own series' look again.
    await trl.getByTestId('run-shown').click();
    await expect.poll(() => chart.getAttribute('data-series')).toBe('train');
    await expect.poll(() => chart.getAttribute('data-runs')).toBe('one step');
    await expect.poll(() => chart.locator('.recharts-line').count()).toBe(1);

    // A checkpoint zip added to compare: its run card's metrics and evaluations, shown at once, the
    // evaluation before → after in the Eval panel's column for it; the model stays loaded.
    const report = (refusal: number) => ({ 'refusal_rate/harmful': refusal, 'over_refusal_rate/benign': 0.1, format_rate: 1, n_harmful: 10, n_benign: 10, by_type: {} });
    const card = { step: 2, metrics: [1, 2].map((step) => ({ step, 'refusal_rate/harmful': 0.4 * step })), eval_history: [{ step: 0, report: report(0.3) }, { step: 2, report: report(0.9) }] };
    const zip = join(dir, 'alphaalign-step2.zip');
    writeFileSync(zip, zipSync({ 'checkpoint-2/alphaalign_run.json': strToU8(JSON.stringify(card)) }));
    await page.getByTestId('compare-checkpoint').setInputFiles(zip);
    await expect.poll(() => page.getByTestId('compare-checkpoint-message').textContent()).toMatch(/Added alphaalign-step2\.zip \(2 steps, 2 evaluations\)/);
    await expect.poll(() => choices.count()).toBe(3);
    // Two runs' rollouts, and the checkpoint's held-out evaluations.
    await expect.poll(async () => ((await chart.getAttribute('data-series')) ?? '').split(' ').map((key) => key.split('-')[0]).sort()).toEqual(['eval', 'train', 'train']);
    const table = page.getByTestId('runs-eval-table');
    await expect.poll(() => table.getByTestId('runs-eval-run').textContent()).toContain('checkpoint (alphaalign-step2.zip)');
    expect(await table.locator('tr', { hasText: 'Refusal rate on harmful' }).locator('td').textContent()).toBe('30% → 90%');
    // The run selector and the runs' table read right to a screen reader.
    expect(await axeViolations(lab)).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
  });
});
