// The Training panel's recipe (src/rl/recipes.ts): which one the settings start from and why, a
// switch to another, what does not fit, and the step-time estimate the worker calibrates on the
// adapter ("about N s a step, N min for the run") before Start.
import { useEffect } from 'react';
import type { RlConfig } from '../../rl/config.ts';
import { RECIPE_NAMES, RECIPE_TITLES, parseRecipeName } from '../../rl/recipes.ts';
import { estimateLine } from '../../rl/stepEstimate.ts';
import { sendToWorker } from '../engine.ts';
import { useModelStore } from '../stores/modelStore.ts';
import { useRunStore, type RunStore } from '../stores/runStore.ts';

/** The settings a step's time depends on: a change to anything else (steps, rewards) asks for no new calibration. */
export function stepShapeKey(config: RlConfig): string {
  const { prompts_per_step, num_generations, per_device_train_batch_size, generation_batch_size, max_completion_length, num_iterations, beta, advantage_estimator, finetune, template, temperature } = config;
  return JSON.stringify({ prompts_per_step, num_generations, per_device_train_batch_size, generation_batch_size, max_completion_length, num_iterations, beta, advantage_estimator, finetune, template, temperature });
}

/** The estimate line for `config`: the worker's per-step time (if made for the same step shape) times its steps. */
export function stepTimeText(stepTime: RunStore['stepTime'], config: RlConfig | null): string | null {
  if (!config || !stepTime || stepShapeKey(stepTime.config) !== stepShapeKey(config)) return null;
  const perStep = stepTime.estimate.seconds_per_step;
  return `Step time: ${estimateLine({ seconds_per_step: perStep, run_seconds: perStep * config.max_steps })} on this adapter.`;
}

export function RecipeLine() {
  const recipe = useRunStore((s) => s.recipe);
  const config = useRunStore((s) => s.config);
  const stepTime = useRunStore((s) => s.stepTime);
  const idle = useRunStore((s) => s.state === 'idle');
  const modelReady = useModelStore((s) => s.status === 'ready');
  const savedRun = useModelStore((s) => s.summary?.run?.config != null);
  const shape = config ? stepShapeKey(config) : null;

  // A new step shape gets a new calibration once the settings rest for a moment, never during a run.
  useEffect(() => {
    if (!modelReady || !idle || !config) return undefined;
    const timer = setTimeout(() => sendToWorker({ type: 'estimate', config }), 1000);
    return () => clearTimeout(timer);
    // The config object changes on every edit; only its step shape matters here.
  }, [modelReady, idle, shape]);

  if (!modelReady) return null;
  const estimate = stepTimeText(stepTime, config);
  return (
    <div className="recipe-line" data-testid="train-recipe" data-recipe={recipe?.name ?? ''}>
      <label htmlFor="cfg-recipe">Recipe</label>{' '}
      <select
        id="cfg-recipe"
        data-testid="train-recipe-select"
        value={recipe?.name ?? ''}
        disabled={!idle}
        onChange={(e) => void useRunStore.getState().applyRecipe(parseRecipeName(e.target.value), 'chosen here')}
      >
        {recipe === null && <option value="">{savedRun ? "the checkpoint's own settings" : '—'}</option>}
        {RECIPE_NAMES.map((name) => (
          <option key={name} value={name} title={RECIPE_TITLES[name]}>
            {name}
          </option>
        ))}
      </select>
      {/* Once a run is under way the why and the estimate give way, so the run's controls and charts share a screen. */}
      {idle && (
        <>
          <p className="muted small" data-testid="train-recipe-reason">
            {recipe ? `Recipe ${recipe.name}: ${RECIPE_TITLES[recipe.name]}. Picked because: ${recipe.reason}. Edit any setting below.` : savedRun ? "Settings: the checkpoint's own (its alphaalign_run.json); choose a recipe to start over from one." : null}
          </p>
          {recipe?.problem && (
            <p className="field-error" role="alert" data-testid="train-recipe-problem">
              {recipe.problem}
            </p>
          )}
          <p className="muted small" data-testid="train-step-estimate">
            {estimate ?? 'Step time: estimating on this adapter…'}
          </p>
        </>
      )}
    </div>
  );
}
