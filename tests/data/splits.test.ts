import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { assignSplits, heldOutRecord, reviveHeldOutChoice, stratifiedSubset } from '../../src/data/splits.ts';

const row = (id: string, label: PromptRow['label'], type: string): PromptRow => ({ id, prompt: `prompt ${id}`, label, type, split: 'eval' });
const unsplit = (id: string, label: PromptRow['label'], type: string): PromptRow => ({ id, prompt: `prompt ${id}`, label, type });

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

describe('assignSplits', () => {
  // As XSTest: each label's rows in types of equal size, one type after another in the file.
  const types = (label: PromptRow['label'], prefix: string, count: number, size: number) =>
    Array.from({ length: count }, (_, t) => Array.from({ length: size }, (_, i) => unsplit(`${prefix}${t}-${i}`, label, `${prefix}${t}`))).flat();
  const evalByType = (rows: PromptRow[]) => {
    const counts = new Map<string, number>();
    for (const r of rows) if (r.split === 'eval') counts.set(r.type!, (counts.get(r.type!) ?? 0) + 1);
    return counts;
  };

  it('holds out each type of each label in proportion', () => {
    const rows = [...types('benign', 'safe', 10, 4), ...types('harmful', 'unsafe', 5, 8)];
    const split = assignSplits(rows, 0.25, 3);
    expect(split.every((r) => r.split === 'train' || r.split === 'eval')).toBe(true);
    const counts = evalByType(split);
    for (let t = 0; t < 10; t++) expect(counts.get(`safe${t}`)).toBe(1);
    for (let t = 0; t < 5; t++) expect(counts.get(`unsafe${t}`)).toBe(2);
  });

  it('holds out round(share × rows) of each label, with uneven types in proportion', () => {
    const rows = [...types('harmful', 'big', 1, 60), ...types('harmful', 'small', 1, 20), ...types('benign', 'b', 1, 7)];
    const split = assignSplits(rows, 0.15, 9);
    const counts = evalByType(split);
    expect(counts.get('big0')).toBe(9);
    expect(counts.get('small0')).toBe(3);
    expect(counts.get('b0')).toBe(1);
  });

  it('draws the rows of a type by its seed', () => {
    const rows = types('harmful', 'x', 2, 10);
    const held = (seed: number) => assignSplits(rows, 0.3, seed).filter((r) => r.split === 'eval').map((r) => r.id);
    expect(held(1)).toEqual(held(1));
    expect(held(1)).not.toEqual(held(2));
  });
});

describe('the held-out choice', () => {
  it('is recorded in the run card in its own field names, and read back from storage only when whole', () => {
    const choice = { fromFile: false, made: { fraction: 0.15, seed: 0 }, editedByHand: true };
    expect(heldOutRecord(choice, 68, 50)).toEqual({
      from_file: false,
      made: { fraction: 0.15, seed: 0, stratified_by: ['label', 'type'] },
      edited_by_hand: true,
      rows: 68,
      evaluated: 50,
    });
    expect(reviveHeldOutChoice(choice)).toEqual(choice);
    expect(reviveHeldOutChoice({ fromFile: true, made: null, editedByHand: false })).toEqual({ fromFile: true, made: null, editedByHand: false });
    expect(reviveHeldOutChoice({ fromFile: true, made: { fraction: 2, seed: 0 }, editedByHand: false })).toBeNull();
    expect(reviveHeldOutChoice({ fromFile: 'yes', made: null, editedByHand: false })).toBeNull();
    expect(reviveHeldOutChoice(null)).toBeNull();
  });
});
