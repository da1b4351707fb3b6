import { describe, expect, it } from 'vitest';
import { overlapScore, rougeL, tokenF1, words } from '../../src/rl/helpfulness.ts';

describe('overlap scores', () => {
  it('split into lower-cased words, dropping punctuation', () => {
    expect(words("Hello, World! It's 42.")).toEqual(['hello', 'world', 'it', 's', '42']);
  });

  it('token F1 counts shared words with multiplicity', () => {
    // answer: the cat sat (3), reference: the cat the mat (4); overlap {the, cat} = 2
    // precision 2/3, recall 2/4 → F1 = 2·(2/3)(1/2)/((2/3)+(1/2)) = 4/7
    expect(tokenF1('The cat sat', 'the cat the mat')).toBeCloseTo(4 / 7, 12);
    expect(tokenF1('', 'x')).toBe(0);
    expect(tokenF1('a b', 'a b')).toBe(1);
  });

  it('ROUGE-L uses the longest common subsequence', () => {
    // answer: a b c d (4), reference: a c b d (4); LCS = a b d or a c d = 3 → F = 3/4
    expect(rougeL('a b c d', 'a c b d')).toBeCloseTo(3 / 4, 12);
    expect(rougeL('x y', 'a b')).toBe(0);
    expect(overlapScore('rougeL', 'a b c d', 'a c b d')).toBe(rougeL('a b c d', 'a c b d'));
    expect(overlapScore('f1', 'The cat sat', 'the cat the mat')).toBe(tokenF1('The cat sat', 'the cat the mat'));
  });
});
