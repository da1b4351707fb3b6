// The banner's account of the steps a resume runs again: those after the checkpoint that had finished.
import { describe, expect, it } from 'vitest';
import { rerunSteps } from '../../src/ui/panels/RestoredRunBanner.tsx';

describe('the steps a resumed run runs again', () => {
  it('names none, one, or a range', () => {
    expect(rerunSteps(3, 3)).toBe('No finished step is lost.');
    expect(rerunSteps(3, 4)).toBe('Step 4, finished before, is run again.');
    expect(rerunSteps(5, 9)).toBe('Steps 6–9, finished before, are run again.');
  });
});
