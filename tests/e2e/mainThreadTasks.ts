// What the page itself costs its main thread, read from a Chromium trace rather than from the
// page's PerformanceObserver. A `longtask` entry is wall time: on a 2-core machine where
// SwiftShader's workers and the tests' own processes compete for the cores, the renderer's main
// thread is often descheduled in the middle of a short task, and the entry grows to 500 ms or more
// though the page did a few milliseconds of work. The trace's top-level `RunTask` events carry
// both: `dur` (wall time) and `tdur` (the thread's CPU time), and only the CPU time says whether
// the page's own code blocked its main thread.
import type { Browser, Page } from 'playwright-core';

export interface MainThreadTask {
  /** Start, in ms on the trace clock. */
  startMs: number;
  /** Wall time of the task, ms: includes time the thread waited for a core. */
  wallMs: number;
  /** CPU time the renderer's main thread spent in the task, ms: the page's own cost. */
  cpuMs: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

const CATEGORIES = ['toplevel', 'disabled-by-default-devtools.timeline'];

/** Traces the page while `during` runs and returns every task of its renderer's main thread. */
export async function traceMainThreadTasks(browser: Browser, page: Page, during: () => Promise<void>): Promise<MainThreadTask[]> {
  await browser.startTracing(page, { categories: CATEGORIES });
  const outcome = await during().then(
    () => null,
    (error: unknown) => ({ error }),
  );
  // Stop the trace whatever happened: a trace left running breaks the next one.
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: TraceEvent[] };
  if (outcome) throw outcome.error;
  return rendererMainTasks(trace.traceEvents);
}

/** The top-level tasks of every `CrRendererMain` thread in a Chromium trace. */
export function rendererMainTasks(events: readonly TraceEvent[]): MainThreadTask[] {
  const rendererMain = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  if (rendererMain.size === 0) throw new Error('the trace has no CrRendererMain thread: was the page traced?');
  return events
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && rendererMain.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ startMs: e.ts / 1000, wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? e.dur ?? 0) / 1000 }));
}
