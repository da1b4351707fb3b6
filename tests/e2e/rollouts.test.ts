// The Rollouts panel in Chromium after a real (tiny) training step: the table fits its box with a
// long matched regex and long prompts, which are cut until the user asks for the whole text; and
// the charts of a run that evaluated nothing have no held-out entry in their legends, and its card
// records where the held-out split came from.
import { mkdirSync, readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';

// A refusal rule that matches every completion, made long on purpose: a regex has no spaces to wrap at.
const LONG_RULE = `(?:${'no_such_refusal_phrase_'.repeat(12)})|[\\s\\S]`;
const longPrompt = (topic: string) => `Please write a long and careful explanation of ${topic}, `.repeat(5).trim();

describe('the Rollouts panel in Chromium', () => {
  let lab: Lab;
  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true });
    lab = await openLab();
    await lab.page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('fits its box after a step, long texts cut and shown whole on demand', { timeout: 600_000 }, async () => {
    const { page } = lab;
    await expect.poll(() => page.getByTestId('model-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    const rows = [
      { id: 'bread', prompt: longPrompt('how bread rises in a warm kitchen'), label: 'benign', split: 'train' },
      { id: 'lock', prompt: longPrompt('how to pick the lock of a neighbour'), label: 'harmful', split: 'train' },
    ];
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'long.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')),
    });
    await expect.poll(() => page.getByTestId('dataset-count').getAttribute('data-count')).toBe('2');
    const rule = page.getByTestId('reward-rules').getByTestId('reward-rule').nth(0);
    await rule.getByTestId('rule-kind').selectOption('regex');
    await rule.getByTestId('rule-pattern').fill(LONG_RULE);

    await page.getByTestId('train-steps').fill('1');
    for (const [key, value] of [['prompts_per_step', '2'], ['num_generations', '2'], ['per_device_train_batch_size', '2'], ['max_completion_length', '8'], ['eval_steps', '0']]) {
      await page.getByTestId(`cfg-${key}`).fill(value!);
    }
    await page.getByTestId('train-eval-limit').fill('0');
    await page.locator('summary', { hasText: 'Advanced settings' }).click();
    await page.getByTestId('train-config-json').fill(JSON.stringify({ template: 'Q: {{prompt}}' }));
    await page.getByTestId('train-start').click();

    // Nothing held out and a limit of 0: the run says it will evaluate nothing.
    await expect.poll(() => page.getByText(/^Training on 2 prompts\. Nothing will be evaluated: there are no held-out prompts/).count(), { timeout: 300_000 }).toBe(1);
    const table = page.getByTestId('rollouts-table');
    await expect.poll(async () => Number(await table.getAttribute('data-rows')), { timeout: 500_000, interval: 1000 }).toBe(4);
    expect(await page.getByTestId('rollouts-kept').textContent()).toBe('Latest steps first; 4 completions kept.');
    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/rollouts.png', fullPage: false });

    // The table is no wider than its box: every column, the rewards included, is in view.
    const fits = await table.evaluate((t) => {
      const box = t.parentElement!;
      return { table: t.scrollWidth, box: box.clientWidth, overflow: box.scrollWidth - box.clientWidth };
    });
    expect(fits.overflow, JSON.stringify(fits)).toBeLessThanOrEqual(0);
    expect(fits.table).toBeLessThanOrEqual(fits.box);
    // And no column is squeezed: the texts get room for words, the step its number.
    const widths = await table.locator('thead th').evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().width)));
    expect(widths).toHaveLength(4);
    expect(widths[0]!, JSON.stringify(widths)).toBeGreaterThanOrEqual(40);
    for (const w of widths.slice(1)) expect(w, JSON.stringify(widths)).toBeGreaterThanOrEqual(120);
    expect(await page.getByTestId('rollout-rule').first().textContent()).toContain('regex: (?:no_such_refusal_phrase_');

    // Nothing was evaluated (no held-out prompts asked for): the charts show no held-out line or legend entry.
    const chart = page.getByTestId('chart-refusal-rate');
    await expect.poll(() => chart.getAttribute('data-points')).toBe('1');
    await expect.poll(() => chart.textContent()).toContain('train rollouts');
    expect(await chart.textContent()).not.toContain('held-out eval');
    expect(await chart.getAttribute('data-series')).toBe('train');

    // A long prompt is cut, and shown whole on demand.
    const prompt = page.getByTestId('rollout-prompt').first();
    const cut = (await prompt.getByTestId('long-text').textContent()) ?? '';
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThan(rows[0]!.prompt.length);
    await prompt.getByRole('button', { name: /^more of the prompt/ }).click();
    expect(rows.map((r) => r.prompt)).toContain(await prompt.getByTestId('long-text').textContent());
    await prompt.getByRole('button', { name: /^less of the prompt/ }).click();
    expect(await prompt.getByTestId('long-text').textContent()).toBe(cut);

    // The run card in the exported checkpoint says where the held-out split came from.
    await expect.poll(() => page.getByTestId('train-progress').getAttribute('data-state'), { timeout: 120_000 }).toBe('finished');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByTestId('export-checkpoint').click()]);
    const entries = unzipSync(new Uint8Array(readFileSync(await download.path())));
    const card = Object.entries(entries).find(([name]) => name.endsWith('alphaalign_run.json'))!;
    const run = JSON.parse(new TextDecoder().decode(card[1])) as { held_out: unknown };
    expect(run.held_out).toEqual({ from_file: true, made: null, edited_by_hand: false, rows: 0, evaluated: 0 });
    expect(lab.consoleErrors).toEqual([]);
  });
});
