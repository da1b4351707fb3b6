// The Python package (python/alphaalign) in the lab's suite: its own tests pass under the system's
// python3 (standard library only), the lab's verdicts they compare with (python/tests/fixtures)
// are what the lab gives today, its version is the lab's, and the page bundles the same files the
// command line reads.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrowserPythonSources } from '../../src/export/browserPythonSources.ts';
import { loadNodePythonSources } from '../../src/export/nodePythonSources.ts';
import { APP_VERSION } from '../../src/version.ts';
import { PYTHON_FIXTURES_DIR, pythonParityFixtures } from './pythonFixtures.ts';

describe('the Python package', () => {
  it("compares with the lab's verdicts as the lab gives them today (else: npx tsx scripts/write-python-fixtures.ts)", () => {
    for (const [path, content] of pythonParityFixtures()) {
      expect(readFileSync(join(PYTHON_FIXTURES_DIR, path), 'utf8') === content, `python/tests/fixtures/${path} is stale`).toBe(true);
    }
  });

  it('passes its own tests: python3 -m unittest discover -s python/tests', () => {
    const result = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'python/tests'], { encoding: 'utf8', timeout: 600_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Ran \d+ tests in .*\n\nOK/m);
  }, 600_000);

  it("carries the lab's version", () => {
    expect(readFileSync('python/alphaalign/__init__.py', 'utf8')).toContain(`__version__ = "${APP_VERSION}"`);
  });

  it('is bundled for the page as the command line reads it', () => {
    const [browser, node] = [loadBrowserPythonSources(), loadNodePythonSources()];
    expect([...browser.package.keys()]).toEqual([...node.package.keys()]);
    expect(browser).toEqual(node);
    expect(node.package.size).toBeGreaterThan(10);
  });
});
