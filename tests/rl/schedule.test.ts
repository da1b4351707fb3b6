import { describe, expect, it } from 'vitest';
import type { PromptRow } from '../../src/data/schema.ts';
import { promptsForStep } from '../../src/rl/schedule.ts';

const rows: PromptRow[] = Array.from({ length: 5 }, (_, i) => ({ id: String(i), prompt: `p${i}`, label: 'benign' }));

describe('promptsForStep', () => {
  it('visits every row once per epoch, in a seeded order that depends only on the step', () => {
    const epoch = [1, 2].flatMap((s) => promptsForStep(rows, 2, 9, s)).concat(promptsForStep(rows, 1, 9, 5));
    expect(epoch.map((r) => r.id).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(promptsForStep(rows, 2, 9, 7)).toEqual(promptsForStep(rows, 2, 9, 7));
    expect(promptsForStep(rows, 2, 9, 1)).not.toEqual(promptsForStep(rows, 2, 10, 1));
  });
});

describe('promptsForStep with balanced labels', () => {
  const mixed: PromptRow[] = Array.from({ length: 10 }, (_, i) => ({ id: String(i), prompt: `p${i}`, label: i < 8 ? 'harmful' : 'benign' }));

  it('gives each step half harmful (rounded up) and half benign prompts, each label visiting all its rows', () => {
    for (let step = 1; step <= 6; step++) {
      const labels = promptsForStep(mixed, 3, 4, step, true).map((r) => r.label);
      expect(labels.sort()).toEqual(['benign', 'harmful', 'harmful']);
    }
    const benign = [1, 2].flatMap((s) => promptsForStep(mixed, 4, 4, s, true)).filter((r) => r.label === 'benign');
    expect(benign.map((r) => r.id).sort()).toEqual(['8', '8', '9', '9']);
    const harmful = [1, 2, 3, 4].flatMap((s) => promptsForStep(mixed, 4, 4, s, true)).filter((r) => r.label === 'harmful');
    expect(new Set(harmful.map((r) => r.id)).size).toBe(8);
    expect(promptsForStep(mixed, 4, 4, 3, true)).toEqual(promptsForStep(mixed, 4, 4, 3, true));
  });

  it('falls back to one walk when only one label is present', () => {
    expect(promptsForStep(rows, 2, 9, 1, true)).toEqual(promptsForStep(rows, 2, 9, 1));
  });
});
