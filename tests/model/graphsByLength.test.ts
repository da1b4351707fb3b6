// Graphs kept by length within a byte budget, the least recently used going first.
import { expect, it } from 'vitest';
import { GraphsByLength } from '../../src/model/graphsByLength.ts';

it('keeps the most recently used graphs that fit the budget together, and releases the rest', () => {
  const built: number[] = [];
  const released: number[] = [];
  // A graph of length l plans l bytes; the budget is one graph of length 100.
  const graphs = new GraphsByLength(
    (l) => l,
    100,
    (l) => (built.push(l), { l }),
    (g) => released.push(g.l),
  );
  expect(graphs.get(40).l).toBe(40);
  expect(graphs.get(50).l).toBe(50);
  expect(graphs.get(40).l).toBe(40); // kept: 90 of 100, now the most recently used
  expect(built).toEqual([40, 50]);
  graphs.get(30); // 120 would pass the budget: the least recently used (50) goes
  expect(released).toEqual([50]);
  graphs.get(100); // only the longest fits: everything else goes
  expect(released).toEqual([50, 40, 30]);
  graphs.get(100);
  expect(built).toEqual([40, 50, 30, 100]);
  graphs.releaseAll();
  expect(released).toEqual([50, 40, 30, 100]);
});
