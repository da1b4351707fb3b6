// The page says when a step learned nothing: the Training panel's line with the causes, and the
// charts' note and tooltips.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RL_CONFIG } from '../../src/rl/config.ts';
import type { StepMetrics } from '../../src/rl/metrics.ts';
import { NoSignalNote, stepHeading, stepsWithoutSignal } from '../../src/ui/panels/ChartsPanel.tsx';
import { NoSignalLine } from '../../src/ui/panels/TrainingPanel.tsx';

const metrics = (step: number, signal: StepMetrics['no_learning_signal']) =>
  ({ step, reward: 0, 'refusal_rate/harmful': 0, 'over_refusal_rate/benign': null, format_rate: 1, 'completions/clipped_ratio': 0, frac_reward_zero_std: signal ? 1 : 0.5, grad_norm: 0, no_learning_signal: signal }) as unknown as StepMetrics;

describe('a step without learning signal on the page', () => {
  it("is marked in the charts' tooltips, run by run", () => {
    const runs = [
      { id: 'a', name: 'run A', color: '#000', metrics: [metrics(1, 'equal_rewards'), metrics(2, null), metrics(3, 'zero_grad_norm')], evals: [] },
      { id: 'b', name: 'run B', color: '#111', metrics: [metrics(1, null), metrics(2, 'equal_rewards')], evals: [] },
    ];
    const without = stepsWithoutSignal(runs);
    expect(without).toEqual([
      { name: 'run A', steps: [1, 3] },
      { name: 'run B', steps: [2] },
    ]);
    expect(stepHeading(2, without, false)).toBe('step 2: no learning signal this step for run B');
    expect(stepHeading(1, without.slice(0, 1), true)).toBe('step 1: no learning signal this step');
    expect(stepHeading(4, without, false)).toBe('step 4');
  });

  it('is said under the progress line with its causes, and noted above the charts', () => {
    const history = [metrics(1, null), metrics(2, 'equal_rewards')];
    const line = renderToStaticMarkup(createElement(NoSignalLine, { last: history[1], step: 2, settings: { ...DEFAULT_RL_CONFIG, num_generations: 2 } }));
    expect(line).toContain('data-testid="train-no-signal"');
    expect(line).toMatch(/<summary>Step 2: no learning signal this step<\/summary>every prompt&#x27;s completions got equal rewards[^<]*too few completions per prompt \(num_generations 2;/);
    const runs = [{ id: 'a', name: 'run A', color: '#000', metrics: history, evals: [] }];
    expect(renderToStaticMarkup(createElement(NoSignalNote, { runs }))).toMatch(/data-testid="charts-no-signal"[^>]*>No learning signal[^<]*at step 2/);
    // A step that learned, or a line not yet at the flagged step, says nothing.
    expect(renderToStaticMarkup(createElement(NoSignalLine, { last: metrics(3, null), step: 3, settings: DEFAULT_RL_CONFIG }))).toBe('');
    expect(renderToStaticMarkup(createElement(NoSignalLine, { last: history[1], step: 3, settings: DEFAULT_RL_CONFIG }))).toBe('');
  });
});
