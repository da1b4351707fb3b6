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

describe('the lab in a Chromium without WebGPU', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab({ webgpu: false });
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('says WebGPU is missing and how to get it, and the data tools still work', async () => {
    await lab.page.goto(lab.url);
    const error = lab.page.getByTestId('model-error');
    await expect.poll(() => error.count(), { timeout: 60_000 }).toBe(1);
    expect(await error.textContent()).toContain('Chrome or Edge');
    await expect.poll(() => lab.page.getByTestId('dataset-count').getAttribute('data-count'), { timeout: 30_000 }).not.toBe('0');
    await lab.page.locator('#panel-model').screenshot({ path: 'test-results/no-webgpu.png' });
  });
});
