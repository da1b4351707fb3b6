// Progress inside a step in Chromium: while the demo model takes a 1-step run, the Training
// panel's progress line names the step's phases in order (generating, judging, updating), with
// the share of the step done. No held-out evaluation and 4-token completions keep it quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';

describe('progress inside a step', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('shows the phase in flight on the progress line during a step', { timeout: 300_000 }, async () => {
    const { page } = lab;
    await page.goto(lab.url);
    await expect.poll(() => page.getByTestId('model-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    await page.getByTestId('train-steps').fill('1');
    const set = async (key: string, value: string) => page.getByTestId(`cfg-${key}`).fill(value);
    await set('prompts_per_step', '2');
    await set('num_generations', '2');
    await set('per_device_train_batch_size', '2');
    await set('generation_batch_size', '2');
    await set('max_completion_length', '4');
    await page.getByTestId('train-eval-limit').fill('0');
    await page.locator('summary', { hasText: 'Advanced settings' }).click();
    await page.getByTestId('train-config-json').fill(JSON.stringify({ template: 'Q: {{prompt}}' }));

    // Every text the progress line takes, recorded in the page as it changes: a phase can be
    // shorter than any poll.
    await page.getByTestId('train-progress').evaluate((element) => {
      const seen: string[] = [];
      (window as unknown as { progressTexts: string[] }).progressTexts = seen;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-progress').getAttribute('data-state'), { timeout: 240_000, interval: 500 }).toBe('finished');
    const texts = await page.evaluate(() => (window as unknown as { progressTexts: string[] }).progressTexts);
    const phases = texts.map((t) => /step 1: (generating|judging|updating)[^(]*\((\d+) % of the step\)/.exec(t)).filter((m) => m !== null);
    const kinds = [...new Set(phases.map((m) => m[1]))];
    expect(kinds, texts.join('\n')).toEqual(['generating', 'judging', 'updating']);
    expect(texts.some((t) => t.includes('step 1: generating, batch 2 of 2')), texts.join('\n')).toBe(true);
    expect(texts.some((t) => t.includes('step 1: updating, micro-batch 2 of 2')), texts.join('\n')).toBe(true);
    // The share of the step only grows within the step.
    const shares = phases.map((m) => Number(m[2]));
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    expect(await page.getByTestId('train-progress').textContent()).toMatch(/^Step 1 \/ 1 · finished/);
    expect(lab.consoleErrors).toEqual([]);
  });
});
