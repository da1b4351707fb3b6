// The model a recipe is for, read from its config.json, tokenizer and alphaalign_run.json alone,
// before any weights: a folder or checkpoint zip on disk, or a Hugging Face repo id (fetched from
// HF_ENDPOINT, huggingface.co unless set, with HF_TOKEN for a gated repo: huggingface_hub's names).
import { existsSync, readFileSync } from 'node:fs';
import { parseModelConfig } from '../model/config.ts';
import { readJson, type ModelFileSource } from '../model/files.ts';
import { DEFAULT_HUB_BASE_URL, hubSource, parseHubReference } from '../model/hubSource.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { readRlConfig } from './inputFiles.ts';
import { recipeFor, RecipeError, recipeModel, recipeSettings, parseRecipeName, type RecipeChoice, type RecipeModel, type RecipeName, type RecipeResult } from '../rl/recipes.ts';
import { RUN_FILE } from '../train/checkpoint.ts';
import type { MemoryLimits } from '../model/memoryPlanner.ts';
import type { RlConfig } from '../rl/config.ts';
import { modelSource, UsageError } from './args.ts';
import { storedDtype } from './planCommand.ts';

/** A model folder, checkpoint zip or Hub repo id, as --model gives it. */
function recipeModelSource(input: string): ModelFileSource {
  if (existsSync(input)) return modelSource(input);
  if (!parseHubReference(input)) throw new UsageError(`--model ${input} is neither a folder or checkpoint .zip here nor a Hugging Face repo id (owner/name)`);
  const token = process.env.HF_TOKEN;
  return hubSource(input, { baseUrl: process.env.HF_ENDPOINT ?? DEFAULT_HUB_BASE_URL, ...(token ? { token } : {}) });
}

/** The model as recipes see it, and the label messages name it by. */
export async function readRecipeModel(input: string): Promise<{ label: string; model: RecipeModel }> {
  const source = recipeModelSource(input);
  const configJson = await readJson(source, 'config.json');
  const config = parseModelConfig(configJson, `${source.label}/config.json`);
  const tokenizerConfig = (await source.has('tokenizer_config.json')) ? ((await readJson(source, 'tokenizer_config.json')) as Record<string, unknown>) : {};
  const tokenizer = new TextTokenizer(await readJson(source, 'tokenizer.json'), tokenizerConfig, `${source.label}/tokenizer.json`);
  const run = (await source.has(RUN_FILE)) ? ((await readJson(source, RUN_FILE)) as Record<string, unknown>) : null;
  return { label: source.label, model: recipeModel(config, storedDtype(configJson), tokenizer, run) };
}

/** The recipe asked for, or the lab's pick for the model with its reason. */
export function chosenRecipe(asked: string | undefined, model: RecipeModel): RecipeChoice {
  if (asked === undefined) return recipeFor(model);
  try {
    return { name: parseRecipeName(asked), reason: 'asked for with --recipe' };
  } catch (error) {
    if (error instanceof RecipeError) throw new UsageError(`--recipe: ${error.message}`);
    throw error;
  }
}

/** A recipe on a model, its demo preset read from `demoPresetPath` (the file the lab's demo uses). */
export function recipeOnModel(name: RecipeName, demoPresetPath: string, model: RecipeModel, limits: MemoryLimits): RecipeResult {
  const preset = name === 'demo' ? JSON.parse(readFileSync(demoPresetPath, 'utf8')) : null;
  return recipeSettings(name, preset, model, limits);
}

/** The run config: the recipe's settings, then the --config file's, then `overrides`. */
export function configOverRecipe(recipe: RecipeResult, configPath: string | undefined, overrides: Record<string, unknown>): RlConfig {
  return readRlConfig(configPath, overrides, recipe.settings);
}

/**
 * `lab train --recipe`: the recipe on the model in `modelInput` and this adapter's limits; a recipe
 * that does not fit is said on stderr (--config may change what does not), and the trainer's
 * planner refuses it if it still does not.
 */
export async function recipeForRun(asked: string, modelInput: string, demoPresetPath: string, limits: MemoryLimits): Promise<RecipeResult> {
  const { model } = await readRecipeModel(modelInput);
  const recipe = recipeOnModel(chosenRecipe(asked, model).name, demoPresetPath, model, limits);
  if (recipe.problem) process.stderr.write(`warning: recipe ${recipe.name}: ${recipe.problem}\n`);
  return recipe;
}
