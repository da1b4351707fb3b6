import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { stratifiedSubset } from '../../src/data/splits.ts';

const row = (id: string, label: PromptRow['label'], type: string): PromptRow => ({ id, prompt: `prompt ${id}`, label, type, split: 'eval' });

describe('stratifiedSubset', () => {
  // As the demo's eval file is ordered: all the benign Alpaca rows first.
  const rows = [
    ...Array.from({ length: 10 }, (_, i) => row(`alpaca-${i}`, 'benign', 'alpaca')),
    ...Array.from({ length: 6 }, (_, i) => row(`advbench-${i}`, 'harmful', 'advbench')),
    row('contrast-0', 'harmful', 'contrast_homonyms'),
    row('contrast-1', 'harmful', 'contrast_homonyms'),
    row('homonyms-0', 'benign', 'homonyms'),
    row('homonyms-1', 'benign', 'homonyms'),
  ];

  it('alternates labels and takes a label\'s types in turn, keeping the rows in order', () => {
    expect(stratifiedSubset(rows, 8).map((r) => r.id)).toEqual([
      'alpaca-0',
      'alpaca-1',
      'advbench-0',
      'advbench-1',
      'contrast-0',
      'contrast-1',
      'homonyms-0',
      'homonyms-1',
    ]);
  });

  it('fills from the other label once one runs out, and returns every row when the limit allows', () => {
    const picked = stratifiedSubset(rows, 18);
    expect(picked.filter((r) => r.label === 'harmful')).toHaveLength(8);
    expect(picked.filter((r) => r.label === 'benign')).toHaveLength(10);
    expect(stratifiedSubset(rows, 50)).toEqual(rows);
    expect(stratifiedSubset(rows, 0)).toEqual([]);
  });
});
