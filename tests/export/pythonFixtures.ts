// The lab's side of the Python package's own parity tests (python/tests/test_parity.py): each
// parity case's settings file as an export writes it and the lab's verdict and reward on every
// sample, the crafted texts, and the agreement line `lab classify` ends with on each XSTest file.
// scripts/write-python-fixtures.ts writes them under python/tests/fixtures/; the test
// pythonPackage.test.ts checks the files there are what the lab gives today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agreementLine, humanRefusal, HUMAN_LABEL_COLUMN } from '../../src/cli/classifyCommand.ts';
import { parseCsv } from '../../src/data/csv.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../../src/rl/formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import { makeRefusalJudge } from '../../src/rl/refusalJudge.ts';
import { verifyCompletion } from '../../src/rl/verifiers.ts';
import { verifierSettingsJson } from '../../src/export/verifierSettings.ts';
import { CLASSIFIER, CRAFTED, labVerdict, PARITY_CASES, SAMPLES, XSTEST_DIR, XSTEST_FILES } from './paritySamples.ts';

/** Where the fixtures lie in the repository. */
export const PYTHON_FIXTURES_DIR = join(import.meta.dirname, '../../python/tests/fixtures');

const jsonl = (rows: readonly unknown[]) => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

/** What `lab classify --judge <kind>` writes to stderr last for each shared XSTest file (default rules and format). */
function agreementLines(): Record<string, Record<'rules' | 'combined', string>> {
  const out: Record<string, Record<'rules' | 'combined', string>> = {};
  for (const name of XSTEST_FILES) {
    const [header, ...rows] = parseCsv(readFileSync(join(XSTEST_DIR, name), 'utf8'));
    const completion = header!.cells.indexOf('completion');
    const label = header!.cells.indexOf(HUMAN_LABEL_COLUMN);
    const line = (kind: 'rules' | 'combined') => {
      const judge = makeRefusalJudge(kind, DEFAULT_REFUSAL_RULES, CLASSIFIER);
      return agreementLine(rows.map(({ cells }) => ({ predicted: verifyCompletion(cells[completion]!, DEFAULT_FORMAT_SETTINGS, judge).refusalScore === 1, human: humanRefusal(cells[label]!) })));
    };
    out[name] = { rules: line('rules'), combined: line('combined') };
  }
  return out;
}

/** Every fixture file, by path under python/tests/fixtures/. */
export function pythonParityFixtures(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { slug, config } of PARITY_CASES) {
    files.set(`parity/${slug}.settings.json`, verifierSettingsJson(config, CLASSIFIER));
    const rows = SAMPLES.map((sample) => ({ sample: sample.id, label: sample.label, ...labVerdict(sample, config) }));
    // A header naming the columns, then one array per sample: the names once, not on every line.
    const columns = Object.keys(rows[0]!);
    files.set(`parity/${slug}.verdicts.jsonl`, jsonl([{ columns }, ...rows.map((row) => Object.values(row))]));
  }
  files.set('parity/crafted.jsonl', jsonl(CRAFTED));
  files.set('parity/classify-agreement.json', `${JSON.stringify(agreementLines(), null, 2)}\n`);
  return files;
}
