// The main-thread check of the training test must be able to fail: a page that blocks its own main
// thread is caught, and by CPU time, which a busy loop spends whenever it has a core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';
import { rendererMainTasks, traceMainThreadTasks } from './mainThreadTasks.ts';

describe('main-thread tasks from a Chromium trace', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await openLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('catches a page that blocks its main thread over the training test\'s 200 ms bar', async () => {
    const { page } = lab;
    await page.goto(lab.url);
    const tasks = await traceMainThreadTasks(lab.browser, page, async () => {
      await page.evaluate(() => {
        // A second of wall time: even with the cores shared, well over 200 ms of it is CPU.
        const until = performance.now() + 1000;
        while (performance.now() < until);
      });
    });
    const worst = Math.max(...tasks.map((t) => t.cpuMs));
    expect(worst).toBeGreaterThan(200);
    expect(tasks.every((t) => t.cpuMs <= t.wallMs + 1)).toBe(true);
  });

  it('refuses a trace without the renderer main thread', () => {
    expect(() => rendererMainTasks([{ name: 'RunTask', ph: 'X', pid: 1, tid: 1, ts: 0, dur: 5 }])).toThrow(/CrRendererMain/);
  });
});
