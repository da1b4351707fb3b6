// The demo data fill only an empty table: a file imported while the page's first load fetches them
// wins, and the demo data asked for by the user still replace the rows (storage falls back to memory
// in Node; the demo files are served from disk by a stand-in fetch that answers when told).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEMO_FILES, useDatasetStore } from '../../src/ui/stores/datasetStore.ts';

const XSTEST = readFileSync('../shared/datasets/xstest_prompts.csv', 'utf8');
const DEMO_ROWS = DEMO_FILES.map((path) => readFileSync(`public/${path}`, 'utf8').trim().split('\n').length).reduce((a, b) => a + b, 0);
const store = () => useDatasetStore.getState();

/** Holds every fetch of a demo file until `answer()`; `waiting()`: how many are held. */
function heldDemoFetch(): { waiting: () => number; answer: () => void } {
  const held: (() => void)[] = [];
  vi.stubGlobal('fetch', (url: string) => new Promise<Response>((resolve) => held.push(() => resolve(new Response(readFileSync(`public${url}`, 'utf8'))))));
  return { waiting: () => held.length, answer: () => held.splice(0).forEach((respond) => respond()) };
}

describe('the demo data', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('leave a file imported during the first load as it is', async () => {
    const demo = heldDemoFetch();
    const firstLoad = store().init();
    // The saved dataset (none) has been read, and the demo files are on their way.
    await vi.waitFor(() => expect(demo.waiting()).toBe(DEMO_FILES.length));
    store().importText(XSTEST, 'xstest_prompts.csv');
    demo.answer();
    await firstLoad;
    expect(store().name).toBe('xstest_prompts.csv');
    expect(store().rows).toHaveLength(450);
    expect(store().status).toBe('ready');
    expect(store().undo).toBeNull();
  });

  it('fill the table only when it is empty, and replace the rows when asked to', async () => {
    store().importText(XSTEST, 'xstest_prompts.csv');
    const demo = heldDemoFetch();
    const filling = store().loadDemo();
    demo.answer();
    await filling;
    expect(store().rows).toHaveLength(450);
    const replacing = store().loadDemo({ replace: true });
    demo.answer();
    await replacing;
    expect(store().rows).toHaveLength(DEMO_ROWS);
    expect(store().undo?.description).toBe('Replaced 450 rows with the demo data');
    expect(store().name).toMatch(/^Demo data/);
  });
});
