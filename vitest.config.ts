import { defineConfig } from 'vitest/config';

// Two projects, run one after the other: the engine's tests in Node (Dawn on SwiftShader), then the
// page's in headless Chromium. Both lean on the same two CPU cores; the browser tests run alone, one
// file at a time, so what they time is the page, not a Dawn test beside it.
export default defineConfig({
  test: {
    // Dawn is a native addon: separate processes, and few of them on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'engine', include: ['tests/**/*.test.ts'], exclude: ['tests/e2e/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
