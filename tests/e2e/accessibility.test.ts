// Every control of the page has a name a screen reader reads and a keyboard reaches: axe-core's
// WCAG 2 A and AA rules over the whole page, once the demo model and data are in and again with a
// run's charts and rollouts on screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from './axe.ts';
import { openLab, type Lab } from './browser.ts';

describe('accessibility of the page', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('has no WCAG 2 A/AA violations with the demo loaded, nor mid-run', { timeout: 300_000 }, async () => {
    const { page } = lab;
    await page.goto(lab.url);
    await expect.poll(() => page.getByTestId('model-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    expect(await axeViolations(lab)).toEqual([]);

    await page.getByTestId('train-steps').fill('1');
    for (const [key, value] of [['prompts_per_step', '2'], ['num_generations', '2'], ['per_device_train_batch_size', '2'], ['max_completion_length', '4'], ['eval_steps', '0']])
      await page.getByTestId(`cfg-${key}`).fill(value);
    await page.getByTestId('train-eval-limit').fill('8');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-progress').getAttribute('data-state'), { timeout: 240_000, interval: 1000 }).toBe('finished');
    await expect.poll(() => page.getByTestId('rollouts-table').getAttribute('data-rows'), { timeout: 60_000 }).not.toBe('0');
    expect(await axeViolations(lab)).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
  });
});
