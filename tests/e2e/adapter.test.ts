import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';

describe('the lab in Chromium', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('reports the WebGPU adapter on the page with no console errors', async () => {
    await lab.page.goto(lab.url);
    const info = lab.page.getByTestId('adapter-info');
    await expect.poll(() => info.getAttribute('data-vendor'), { timeout: 60_000 }).toBeTruthy();
    expect(await info.textContent()).toContain('Vendor');
    mkdirSync('test-results', { recursive: true });
    await lab.page.screenshot({ path: 'test-results/adapter.png', fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
  });
});
