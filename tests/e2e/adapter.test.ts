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

describe('the binding cap in the GPU panel', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('is kept across a reload and lowers the limit the training worker works to', async () => {
    await lab.page.goto(lab.url);
    const field = lab.page.getByTestId('binding-cap');
    await field.fill('lots');
    await expect.poll(() => lab.page.locator('#binding-cap-help').textContent()).toContain('"lots" is not a size');
    await field.fill('64');
    await lab.page.reload();
    await expect.poll(() => lab.page.getByTestId('binding-cap').inputValue()).toBe('64');
    // The demo model loads on first open, on the worker's device, opened with the cap.
    const limit = lab.page.getByTestId('binding-limit');
    await expect.poll(() => limit.textContent(), { timeout: 120_000 }).toBe('64 MiB per buffer');
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
