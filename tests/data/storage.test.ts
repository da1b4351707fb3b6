import { describe, expect, it } from 'vitest';
import { assignSplits, findDuplicates, splitCounts } from '../../src/data/splits.ts';
import { memoryBackend, reviveStoredDataset, STORE_NAMES } from '../../src/data/storage.ts';
import type { PromptRow } from '../../src/data/schema.ts';

describe('the in-memory storage backend', () => {
  it('keeps values per store by key, as copies', async () => {
    const backend = memoryBackend();
    expect(backend.persistent).toBe(false);
    const runs = backend.store<{ step: number; weights: Float32Array }>('runs');
    const value = { step: 3, weights: new Float32Array([1, 2]) };
    await runs.put('b', value);
    await runs.put('a', { step: 1, weights: new Float32Array([0]) });
    value.step = 99;
    expect((await runs.get('b'))!.step).toBe(3);
    expect((await runs.get('b'))!.weights).toEqual(new Float32Array([1, 2]));
    expect(await runs.keys()).toEqual(['a', 'b']);
    expect((await runs.getAll()).map((r) => r.step)).toEqual([1, 3]);
    expect(await backend.store('checkpoints').keys()).toEqual([]);
    await runs.delete('a');
    expect(await runs.get('a')).toBeUndefined();
    await runs.clear();
    expect(await runs.keys()).toEqual([]);
    expect(STORE_NAMES).toEqual(['datasets', 'settings', 'configs', 'runs', 'checkpoints', 'bases']);
  });
});

describe('reviveStoredDataset', () => {
  it('reads back good rows and counts the bad ones', () => {
    const revived = reviveStoredDataset({
      version: 1,
      name: 'x.csv',
      savedAt: '2026-01-01T00:00:00Z',
      rows: [
        { id: '1', prompt: 'a', label: 'harmful', split: 'eval', type: 't', reference: 'r' },
        { id: '2', prompt: 'b', label: 'maybe' },
        { id: 3, prompt: 'c', label: 'benign' },
        { id: '4', prompt: 'd', label: 'benign', split: 'nonsense' },
      ],
      problems: [{ line: 5, reason: 'bad' }, { line: 'x' }],
    });
    expect(revived!.droppedRows).toBe(2);
    expect(revived!.dataset.rows).toEqual([
      { id: '1', prompt: 'a', label: 'harmful', split: 'eval', type: 't', reference: 'r' },
      { id: '4', prompt: 'd', label: 'benign' },
    ]);
    expect(revived!.dataset.problems).toEqual([{ line: 5, reason: 'bad' }]);
  });
  it('refuses what is not a stored dataset', () => {
    expect(reviveStoredDataset(undefined)).toBeNull();
    expect(reviveStoredDataset({ version: 2, name: 'x', rows: [] })).toBeNull();
    expect(reviveStoredDataset({ version: 1, name: 'x' })).toBeNull();
  });
});

describe('splits and duplicates', () => {
  const rows: PromptRow[] = Array.from({ length: 100 }, (_, i) => ({ id: String(i), prompt: `p${i}`, label: i < 40 ? 'harmful' : 'benign' }));
  it('holds out the share of each label, seeded, leaving rows already split alone', () => {
    const a = assignSplits(rows, 0.25, 7);
    expect(splitCounts(a)).toEqual({ train: { harmful: 30, benign: 45 }, eval: { harmful: 10, benign: 15 } });
    expect(assignSplits(rows, 0.25, 7)).toEqual(a);
    expect(assignSplits(rows, 0.25, 8)).not.toEqual(a);
    expect(rows[0]!.split).toBeUndefined();
    const fixed = rows.map((r, i) => (i < 10 ? { ...r, split: 'eval' as const } : r));
    const b = assignSplits(fixed, 0, 1);
    expect(b.slice(0, 10).every((r) => r.split === 'eval')).toBe(true);
    expect(b.slice(10).every((r) => r.split === 'train')).toBe(true);
    expect(assignSplits(fixed, 0, 1, true).every((r) => r.split === 'train')).toBe(true);
    expect(() => assignSplits(rows, 1.5)).toThrow(RangeError);
  });
  it('flags repeats of a prompt, ignoring case and spacing', () => {
    const d = findDuplicates([
      { id: 'a', prompt: 'How  are you?', label: 'benign' },
      { id: 'b', prompt: 'other', label: 'benign' },
      { id: 'c', prompt: ' how are YOU? ', label: 'harmful' },
    ]);
    expect([...d]).toEqual([[2, 0]]);
  });
});
