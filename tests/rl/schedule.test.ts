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
