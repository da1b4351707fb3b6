// `lab recipe`: the settings a model starts with (src/rl/recipes.ts), the memory plan of that run on
// this adapter, and how long a step will take, from a short calibration on a one-layer slice
// (src/rl/stepEstimate.ts). Reads config.json, the tokenizer and alphaalign_run.json only, so a Hub
// model is sized before its weights are downloaded.
import { parseArgs } from 'node:util';
import { createNodeGpu } from '../gpu/node.ts';
import { gib, type MemoryLimits } from '../model/memoryPlanner.ts';
import { parameterCount } from '../model/parameters.ts';
import { RECIPE_TITLES, recipeRunShape } from '../rl/recipes.ts';
import { estimateLine, estimateStepTime, type StepEstimate } from '../rl/stepEstimate.ts';
import { requireString } from './args.ts';
import { planReport } from './planCommand.ts';
import { chosenRecipe, readRecipeModel, recipeOnModel } from './recipeSource.ts';
import { DEMO } from './trainCommand.ts';

export async function recipeCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      recipe: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const { label, model } = await readRecipeModel(requireString(values, 'model'));
  const choice = chosenRecipe(values.recipe, model);
  const gpu = await createNodeGpu();
  const limits: MemoryLimits = { budgetBytes: gpu.memoryBudgetBytes, maxStorageBufferBindingSize: gpu.maxBindingBytes };
  const recipe = recipeOnModel(choice.name, DEMO.config, model, limits);
  // A run that does not fit is not timed: its step would never run.
  const estimate: StepEstimate | null = recipe.problem ? null : await estimateStepTime(gpu, model, recipe.config);
  gpu.destroy();
  const shape = recipeRunShape(recipe.config, model);
  if (values.json) {
    const report = {
      model: label,
      recipe: choice.name,
      reason: choice.reason,
      settings: recipe.settings,
      plan: planReport(model.config, shape, limits, recipe.plan!),
      problem: recipe.problem,
      estimate_s_per_step: estimate?.seconds_per_step ?? null,
      estimate_run_s: estimate?.run_seconds ?? null,
      estimate,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const c = model.config;
  const lines = [
    `${label}: ${c.architecture}, ${(parameterCount(c) / 1e6).toFixed(1)} M parameters, ${c.numLayers} layers, weights ${model.frozenDtype}`,
    `recipe ${choice.name} (${choice.reason}): ${RECIPE_TITLES[choice.name]}`,
    ...Object.entries(recipe.settings).map(([key, value]) => `  ${key.padEnd(28)} ${JSON.stringify(value)}`),
    `memory: peak ${gib(recipe.plan!.totalBytes)} of a ${gib(limits.budgetBytes)} budget, ${recipe.plan!.recompute ? "each layer's activations recomputed in the backward" : 'every activation kept'}, sequences of ${shape.seqLen} tokens`,
    recipe.problem ? `does not fit: ${recipe.problem}` : `step time: ${estimateLine(estimate!)} (${recipe.config.max_steps} steps; calibrated in ${estimate!.calibration.calibration_s.toFixed(1)} s on a one-layer slice)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
