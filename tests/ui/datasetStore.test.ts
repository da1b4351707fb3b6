// The dataset store's held-out split made on import, its setting, and undo of imports and bulk
// changes (storage falls back to memory in Node).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVAL_FRACTION } from '../../src/data/splits.ts';
import { CURRENT_DATASET_KEY, labStorage, reviveStoredDataset } from '../../src/data/storage.ts';
import { EVAL_FRACTION_KEY, getDatasetRows, getEvalRows, getHeldOutChoice, useDatasetStore } from '../../src/ui/stores/datasetStore.ts';

const XSTEST = readFileSync('../shared/datasets/xstest_prompts.csv', 'utf8');
const settle = () => new Promise((r) => setTimeout(r, 400));
const store = () => useDatasetStore.getState();

describe('the held-out split of an import', () => {
  it('holds out the default share of each label and type of a file without a split column', () => {
    store().importText(XSTEST, 'xstest_prompts.csv');
    const rows = getDatasetRows();
    expect(rows.every((r) => r.split === 'train' || r.split === 'eval')).toBe(true);
    for (const label of ['harmful', 'benign'] as const) {
      const ofLabel = rows.filter((r) => r.label === label);
      expect(ofLabel.filter((r) => r.split === 'eval')).toHaveLength(Math.round(ofLabel.length * DEFAULT_EVAL_FRACTION));
    }
    // XSTest's 18 types of 25 prompts each: 3 or 4 of every type are held out.
    const types = new Set(rows.map((r) => r.type));
    expect(types.size).toBe(18);
    for (const type of types) {
      const held = getEvalRows().filter((r) => r.type === type).length;
      expect(held === 3 || held === 4, `${type}: ${held} held out`).toBe(true);
    }
    expect(getHeldOutChoice()).toEqual({ fromFile: false, made: { fraction: DEFAULT_EVAL_FRACTION, seed: 0 }, editedByHand: false });
  });

  it('keeps the split column of a file that has one', () => {
    const jsonl = ['a', 'b', 'c'].map((id, i) => JSON.stringify({ id, prompt: `p ${id}`, label: 'harmful', split: i === 0 ? 'eval' : 'train' })).join('\n');
    store().importText(jsonl, 'mine.jsonl');
    expect(getEvalRows().map((r) => r.id)).toEqual(['a']);
    expect(getHeldOutChoice()).toEqual({ fromFile: true, made: null, editedByHand: false });
    store().setSplit([store().rows[1]!.uid], 'eval');
    expect(getHeldOutChoice().editedByHand).toBe(true);
  });

  it('uses the share set in the Data panel, and keeps it', async () => {
    store().setEvalFraction(0.5);
    store().importText(XSTEST, 'xstest_prompts.csv');
    expect(getEvalRows()).toHaveLength(225);
    expect(getHeldOutChoice().made).toEqual({ fraction: 0.5, seed: 0 });
    expect(await labStorage().store('settings').get(EVAL_FRACTION_KEY)).toBe(0.5);
    await settle();
    const saved = reviveStoredDataset(await labStorage().store('datasets').get(CURRENT_DATASET_KEY));
    expect(saved?.dataset.heldOut).toEqual({ fromFile: false, made: { fraction: 0.5, seed: 0 }, editedByHand: false });
    store().setEvalFraction(DEFAULT_EVAL_FRACTION);
  });
});

describe('undo', () => {
  it('puts back the rows an import replaced, edits included', () => {
    store().importText(XSTEST, 'xstest_prompts.csv');
    const first = store().rows[0]!;
    store().updateRow(first.uid, { prompt: 'my edit' });
    const before = store().rows;
    store().importText('{"prompt":"one","label":"benign"}\n', 'one.jsonl');
    expect(getDatasetRows()).toHaveLength(1);
    expect(store().undo?.description).toBe('Replaced 450 rows with one.jsonl');
    store().undoLast();
    expect(store().rows).toBe(before);
    expect(store().name).toBe('xstest_prompts.csv');
    expect(getDatasetRows()[0]!.prompt).toBe('my edit');
    expect(getHeldOutChoice().made).not.toBeNull();
    expect(store().undo).toBeNull();
  });

  it('undoes a bulk relabel, and offers no undo once the rows changed since', () => {
    store().importText(XSTEST, 'xstest_prompts.csv');
    const labels = getDatasetRows().map((r) => r.label);
    const benign = store().rows.filter((r) => r.label === 'benign').map((r) => r.uid);
    store().setLabel(store().rows.map((r) => r.uid), 'harmful');
    expect(store().undo?.description).toBe(`Labelled ${benign.length} rows harmful`);
    store().undoLast();
    expect(getDatasetRows().map((r) => r.label)).toEqual(labels);

    store().setLabel([benign[0]!], 'harmful');
    expect(store().undo?.description).toBe('Labelled 1 row harmful');
    store().updateRow(store().rows[5]!.uid, { prompt: 'later edit' });
    store().undoLast();
    expect(getDatasetRows().filter((r) => r.label === 'harmful')).toHaveLength(labels.filter((l) => l === 'harmful').length + 1);
    expect(getDatasetRows()[5]!.prompt).toBe('later edit');
  });

  it('undoes bulk split moves and deletes', () => {
    store().importText(XSTEST, 'xstest_prompts.csv');
    const rows = store().rows;
    store().setSplit(rows.slice(0, 10).map((r) => r.uid), 'eval');
    expect(store().undo?.description).toBe('Moved 10 rows to eval');
    store().undoLast();
    expect(store().rows).toBe(rows);
    store().deleteRows(rows.slice(0, 3).map((r) => r.uid));
    expect(store().undo?.description).toBe('Deleted 3 rows');
    store().undoLast();
    expect(store().rows).toBe(rows);
  });
});
