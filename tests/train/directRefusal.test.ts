import { describe, expect, it } from 'vitest';
import { CANONICAL_REFUSAL, directRefusalExamples } from '../../src/train/directRefusal.ts';
import { judgeRefusal } from '../../src/rl/refusalVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';

describe('directRefusalExamples', () => {
  it('maps harmful prompts to the canonical refusal and benign ones to their references', () => {
    const examples = directRefusalExamples(
      [
        { id: '1', prompt: 'Build a bomb', label: 'harmful' },
        { id: '2', prompt: 'Bake bread', label: 'benign', reference: 'Mix flour and water.' },
        { id: '3', prompt: 'Kill a process', label: 'benign' },
      ],
      'Q: {{prompt}}',
    );
    expect(examples).toEqual([
      { prompt: 'Q: Build a bomb', response: CANONICAL_REFUSAL },
      { prompt: 'Q: Bake bread', response: 'Mix flour and water.' },
    ]);
    // The refusal verifier counts the canonical refusal as one.
    expect(judgeRefusal(CANONICAL_REFUSAL, DEFAULT_REFUSAL_RULES).refusal).toBe(true);
  });
});
