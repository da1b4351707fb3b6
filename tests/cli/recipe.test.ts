// `lab recipe`: the demo model gets the demo recipe with an estimate; a recipe name that does not
// exist is refused with the names there are.
import { describe, expect, it } from 'vitest';
import { lab } from './lab.ts';

describe('lab recipe', () => {
  it('gives the demo model the demo recipe (the preset), its plan and a step-time estimate', () => {
    const result = lab(['recipe', '--model', 'public/models/demo', '--json'], process.env, 600_000);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { recipe: string; settings: { learning_rate: number }; plan: { fits: boolean }; estimate_s_per_step: number };
    expect(report.recipe).toBe('demo');
    expect(report.settings.learning_rate).toBe(5e-4);
    expect(report.plan.fits).toBe(true);
    expect(report.estimate_s_per_step).toBeGreaterThan(0);
  }, 600_000);

  it('refuses an unknown recipe, naming the recipes', () => {
    const result = lab(['recipe', '--model', 'public/models/demo', '--recipe', 'fast']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--recipe: no recipe "fast": choose one of demo, lora, paper/);
  });

  it('says a --model that is neither a folder nor a repo id', () => {
    const result = lab(['recipe', '--model', 'no/such/folder']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/neither a folder or checkpoint \.zip here nor a Hugging Face repo id/);
  });
});
