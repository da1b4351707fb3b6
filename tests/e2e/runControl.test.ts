// Controlling a run in Chromium: pause holds the step count and saves a checkpoint, resume goes
// on, a reload interrupts the run and the page offers its last checkpoint, which resumes where
// it stopped (metrics kept), and stop ends a run early.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';

describe('pausing, resuming, reloading and stopping a run', () => {
  let lab: Lab;
  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true });
    lab = await openLab();
    await lab.page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  const progress = () => lab.page.getByTestId('train-progress');
  const step = async () => Number(await progress().getAttribute('data-step'));
  const state = () => progress().getAttribute('data-state');
  const modelReady = () => expect.poll(() => lab.page.getByTestId('model-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');

  it('pauses and resumes a run, and resumes it from its checkpoint after a reload', { timeout: 600_000 }, async () => {
    const { page } = lab;
    await modelReady();
    // Tiny settings: SwiftShader is slow.
    await page.getByTestId('train-steps').fill('6');
    for (const [key, value] of [['prompts_per_step', '2'], ['num_generations', '2'], ['per_device_train_batch_size', '2'], ['max_completion_length', '4'], ['eval_steps', '0']]) {
      await page.getByTestId(`cfg-${key}`).fill(value!);
    }
    await page.getByTestId('train-eval-limit').fill('0');
    await page.locator('summary', { hasText: 'Advanced settings' }).click();
    await page.getByTestId('train-config-json').fill(JSON.stringify({ template: 'Q: {{prompt}}' }));
    await page.getByTestId('train-start').click();

    await expect.poll(step, { timeout: 300_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    await page.getByTestId('train-pause').click();
    await expect.poll(state, { timeout: 120_000 }).toBe('paused');
    const pausedAt = await step();
    expect(await page.getByTestId('train-pause').textContent()).toBe('Resume');
    await page.waitForTimeout(3000);
    expect(await step()).toBe(pausedAt);

    await page.getByTestId('train-pause').click();
    await expect.poll(state).toBe('running');
    await expect.poll(step, { timeout: 300_000, interval: 500 }).toBeGreaterThan(pausedAt);

    // A reload interrupts the run; the checkpoint saved at the pause is offered.
    await page.reload();
    const banner = page.getByTestId('saved-run');
    await expect.poll(() => banner.count(), { timeout: 60_000 }).toBe(1);
    // The checkpoint of the pause, or a later autosave (every 5 steps) if the run got that far.
    const savedAt = Number(/interrupted at step (\d+) of 6/.exec((await banner.textContent()) ?? '')?.[1]);
    expect(savedAt).toBeGreaterThanOrEqual(pausedAt);
    await page.screenshot({ path: 'test-results/run-interrupted.png', fullPage: true });
    await modelReady();
    await page.getByTestId('resume-saved-run').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 120_000 }).toContain(`checkpoint at step ${savedAt}`);
    expect(await page.getByTestId('chart-refusal-rate').getAttribute('data-points')).toBe(String(savedAt));
    const start = page.getByTestId('train-start');
    expect(await start.textContent()).toBe(`Resume from step ${savedAt}`);
    await start.click();
    await expect.poll(step, { timeout: 300_000, interval: 500 }).toBeGreaterThan(savedAt);

    // Stop ends it before its last step.
    await page.getByTestId('train-stop').click();
    await expect.poll(state, { timeout: 120_000 }).toBe('stopped');
    const stoppedAt = await step();
    expect(stoppedAt).toBeLessThan(6);
    await page.waitForTimeout(3000);
    expect(await step()).toBe(stoppedAt);
    expect(await page.getByTestId('chart-refusal-rate').getAttribute('data-points')).toBe(String(stoppedAt));
    await page.screenshot({ path: 'test-results/run-stopped.png', fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
  });
});
