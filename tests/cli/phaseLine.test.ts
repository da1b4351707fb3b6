// `lab train`'s phase line on stderr: rewritten in place on a terminal, absent from a log, so the
// step lines that scripts and tests read stay as they were.
import { describe, expect, it } from 'vitest';
import { TerminalPhaseLine } from '../../src/cli/trainCommand.ts';

const stream = (isTTY: boolean, columns = 80) => {
  const written: string[] = [];
  return { written, isTTY, columns, write: (text: string) => written.push(text) };
};

describe("lab train's phase line", () => {
  it('rewrites one line of a terminal with the phase, its share of the step and the ETA, and clears it', () => {
    const terminal = stream(true);
    const line = new TerminalPhaseLine(terminal, 2);
    line.show({ kind: 'evaluating', afterStep: 0, prompts: 'held-out', done: 0, total: 3 }, 0);
    line.show({ kind: 'generating', step: 1, done: 0, total: 2 }, 0);
    line.show({ kind: 'generating', step: 1, done: 1, total: 2 }, 10_000);
    expect(terminal.written).toEqual([
      '\r\x1b[Kevaluating held-out prompts before training: batch 1 of 3',
      '\r\x1b[Kstep 1: generating, batch 1 of 2 (0 % of the step)  eta ≥0s',
      '\r\x1b[Kstep 1: generating, batch 2 of 2 (17 % of the step)  eta ≥30s',
    ]);
    line.clear();
    line.clear();
    expect(terminal.written.slice(3)).toEqual(['\r\x1b[K']);
    // Never wider than the terminal: a wrapped line would not be rewritten in place.
    const narrow = stream(true, 20);
    new TerminalPhaseLine(narrow, 2).show({ kind: 'updating', step: 1, done: 1, total: 4 }, 0);
    expect(narrow.written[0]).toBe('\r\x1b[Kstep 1: updating, m');
    const widthless = stream(true, 0);
    new TerminalPhaseLine(widthless, 2).show({ kind: 'judging', step: 1, done: 0, total: 1 }, 0);
    expect(widthless.written[0]).toBe('\r\x1b[Kstep 1: judging (33 % of the step)  eta ≥0s');
  });

  it('writes nothing where stderr is not a terminal', () => {
    const log = stream(false);
    const line = new TerminalPhaseLine(log, 2);
    line.show({ kind: 'generating', step: 1, done: 0, total: 2 }, 0);
    line.stepEnded(1000);
    line.clear();
    expect(log.written).toEqual([]);
  });
});
