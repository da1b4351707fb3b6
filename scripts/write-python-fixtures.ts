// Writes the lab's verdicts for the Python package's parity tests (python/tests/fixtures/parity/,
// tests/export/pythonFixtures.ts says what they hold). Run after a change to the verifiers, the
// rewards, the shipped rules or classifier, or the settings an export writes:
//
//   npx tsx scripts/write-python-fixtures.ts
//
// tests/export/pythonPackage.test.ts fails while the committed files differ from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PYTHON_FIXTURES_DIR, pythonParityFixtures } from '../tests/export/pythonFixtures.ts';

for (const [path, content] of pythonParityFixtures()) {
  mkdirSync(dirname(join(PYTHON_FIXTURES_DIR, path)), { recursive: true });
  writeFileSync(join(PYTHON_FIXTURES_DIR, path), content);
  process.stderr.write(`wrote python/tests/fixtures/${path} (${content.length} characters)\n`);
}
