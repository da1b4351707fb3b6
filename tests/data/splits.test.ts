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

  it('alternates labels and draws a label\'s types in proportion, keeping the rows in order', () => {
    // harmful: advbench's rows come at 1/12, 3/12, 5/12 …, contrast's at 3/12 and 9/12 (the tie
    // goes to the type seen first); benign: alpaca's at 1/20, 3/20, 5/20 …, homonyms' at 5/20 ….
    expect(stratifiedSubset(rows, 8).map((r) => r.id)).toEqual([
      'alpaca-0',
      'alpaca-1',
      'alpaca-2',
      'advbench-0',
      'advbench-1',
      'advbench-2',
      'contrast-0',
      'homonyms-0',
    ]);
  });

  it('keeps the demo split\'s mix: 16 harmful prompts of 78 AdvBench and 8 × 4 XSTest are mostly AdvBench', () => {
    const demo = [
      ...Array.from({ length: 78 }, (_, i) => row(`advbench-${i}`, 'harmful', 'advbench')),
      ...['definitions', 'discr', 'homonyms', 'privacy', 'safe_contexts', 'safe_targets', 'figurative', 'historical'].flatMap((type) =>
        Array.from({ length: 4 }, (_, i) => row(`${type}-${i}`, 'harmful', `contrast_${type}`)),
      ),
    ];
    const picked = stratifiedSubset(demo, 16);
    // In proportion 16 · 78 / 110 = 11.3; AdvBench's first 10 rows come before any type's first.
    expect(picked.filter((r) => r.type === 'advbench')).toHaveLength(10);
    expect(new Set(picked.filter((r) => r.type !== 'advbench').map((r) => r.type)).size).toBe(6);
  });

  it('fills from the other label once one runs out, and returns every row when the limit allows', () => {
    const picked = stratifiedSubset(rows, 18);
    expect(picked.filter((r) => r.label === 'harmful')).toHaveLength(8);
    expect(picked.filter((r) => r.label === 'benign')).toHaveLength(10);
    expect(stratifiedSubset(rows, 50)).toEqual(rows);
    expect(stratifiedSubset(rows, 0)).toEqual([]);
  });
});
