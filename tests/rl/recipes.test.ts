// Recipes (src/rl/recipes.ts): which the lab picks, what each holds, and the paper recipe scaled to
// the memory plan or refused with the way out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { knownShapeConfig } from '../../src/model/knownShapes.ts';
import { LORA_TARGETS } from '../../src/model/lora.ts';
import { DEMO_MODEL_KIND, parseRecipeName, recipeFor, recipeSettings, type RecipeModel } from '../../src/rl/recipes.ts';

const preset = JSON.parse(readFileSync('public/datasets/demo-config.json', 'utf8')) as Record<string, unknown>;
const demoRun = JSON.parse(readFileSync('public/models/demo/alphaalign_run.json', 'utf8')) as { kind: string };
const qwen: RecipeModel = { config: knownShapeConfig('qwen2.5-0.5b'), frozenDtype: 'bf16', promptTokens: 200, runKind: null, runRecipe: null };
const limits = { budgetBytes: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 };

describe('recipes', () => {
  it('picks demo for the demo model (by its run card) and for checkpoints of demo-recipe runs, lora for any other', () => {
    expect(demoRun.kind).toBe(DEMO_MODEL_KIND);
    expect(recipeFor({ runKind: demoRun.kind, runRecipe: null }).name).toBe('demo');
    expect(recipeFor({ runKind: 'alphaalign', runRecipe: 'demo' }).name).toBe('demo');
    const pretrained = recipeFor({ runKind: null, runRecipe: null });
    expect(pretrained.name).toBe('lora');
    expect(pretrained.reason).toMatch(/pretrained/);
  });

  it('demo is the preset file itself', () => {
    const demo = recipeSettings('demo', preset, null, null);
    expect(demo.settings).toEqual(preset);
    expect(demo.config.learning_rate).toBe(5e-4);
  });

  it('lora: every linear layer, a TRL GRPO-with-LoRA learning rate, groups of 8, 256 tokens, temperature 1; it fits Qwen2.5-0.5B', () => {
    const lora = recipeSettings('lora', preset, qwen, limits);
    expect(lora.config.finetune.kind).toBe('lora');
    if (lora.config.finetune.kind === 'lora') expect([...lora.config.finetune.targets].sort()).toEqual([...LORA_TARGETS].sort());
    expect(lora.config.learning_rate).toBeGreaterThanOrEqual(1e-5);
    expect(lora.config.learning_rate).toBeLessThanOrEqual(2e-5);
    expect(lora.config.num_generations).toBe(8);
    expect(lora.config.max_completion_length).toBeGreaterThanOrEqual(256);
    expect(lora.config.temperature).toBe(1);
    expect(lora.problem).toBeNull();
  });

  it("paper: the paper's lr and batch, its micro-batch scaled down until the planner fits it (Qwen2.5-0.5B in full on a 24 GiB budget)", () => {
    const paper = recipeSettings('paper', preset, qwen, { ...limits, budgetBytes: 24 * 2 ** 30 });
    expect(paper.config.learning_rate).toBe(1e-6);
    expect(paper.config.prompts_per_step * paper.config.num_generations).toBe(128);
    expect(paper.config.finetune.kind).toBe('full');
    expect(paper.plan?.ok).toBe(true);
    expect(paper.problem).toBeNull();
    // Unplanned (no model), it asks for the largest batches.
    expect(recipeSettings('paper', preset, null, null).config.per_device_train_batch_size).toBe(16);
    expect(paper.config.per_device_train_batch_size).toBeLessThan(16);
  });

  it('paper that fits nowhere says so, with the way out', () => {
    const paper = recipeSettings('paper', preset, qwen, { ...limits, budgetBytes: 4 * 2 ** 30 });
    expect(paper.problem).toMatch(/does not fit/);
    expect(paper.problem).toMatch(/use the lora recipe/);
  });

  it('an unknown name lists the recipes', () => {
    expect(() => parseRecipeName('fast')).toThrow(/demo, lora, paper/);
  });
});
