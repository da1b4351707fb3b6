import { describe, expect, it } from 'vitest';
import { DEFAULT_RL_CONFIG, parseRlConfig, RlConfigError, scheduledLearningRate, type RlConfig } from '../../src/rl/config.ts';
import { DEFAULT_TEMPLATE } from '../../src/rl/template.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../../src/rl/formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import { LORA_TARGETS } from '../../src/model/lora.ts';

/** The problems parseRlConfig reports for `json`, or [] when it accepts it. */
function problemsOf(json: unknown): readonly string[] {
  try {
    parseRlConfig(json);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(RlConfigError);
    return (error as RlConfigError).problems;
  }
}

describe('the RL config defaults', () => {
  it('come from an empty object and are the lab’s documented values', () => {
    expect(parseRlConfig({})).toEqual(DEFAULT_RL_CONFIG);
    expect(DEFAULT_RL_CONFIG).toMatchObject({
      num_generations: 8,
      prompts_per_step: 8,
      temperature: 1,
      top_p: 1,
      top_k: 0,
      max_completion_length: 128,
      stop_strings: ['</answer>'],
      beta: 0,
      epsilon: 0.2,
      epsilon_high: 0.2,
      num_iterations: 1,
      advantage_estimator: 'grpo',
      scale_rewards: true,
      max_grad_norm: 1,
      r_f: 1,
      r_a: 1,
      w_h: 1,
      helpfulness_scorer: { kind: 'none' },
      finetune: { kind: 'full' },
    });
    expect(DEFAULT_RL_CONFIG.template).toBe(DEFAULT_TEMPLATE);
    expect(DEFAULT_RL_CONFIG.format).toEqual(DEFAULT_FORMAT_SETTINGS);
    expect(DEFAULT_RL_CONFIG.refusal_rules).toEqual(DEFAULT_REFUSAL_RULES);
  });

  it('are frozen, so no caller changes them for the next', () => {
    expect(Object.isFrozen(DEFAULT_RL_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RL_CONFIG.refusal_rules[0])).toBe(true);
    // Parsing gives fresh objects, not the defaults' own.
    const parsed = parseRlConfig({});
    parsed.refusal_rules.push({ pattern: 'x', kind: 'contains', caseSensitive: false });
    expect(parseRlConfig({}).refusal_rules).toHaveLength(DEFAULT_REFUSAL_RULES.length);
  });

  it('fill what a partial config leaves out, inside nested objects too', () => {
    const config = parseRlConfig({ learning_rate: 1e-4, finetune: { kind: 'lora' }, format: { answerTag: 'final' }, refusal_rules: [{ pattern: 'No', kind: 'prefix' }] });
    expect(config.learning_rate).toBe(1e-4);
    expect(config.finetune).toEqual({ kind: 'lora', rank: 8, alpha: 16, targets: [...LORA_TARGETS], dropout: 0 });
    expect(config.format).toEqual({ reasoningTag: 'safety_reasoning', answerTag: 'final', allowEmptyReasoning: false });
    expect(config.refusal_rules).toEqual([{ pattern: 'No', kind: 'prefix', caseSensitive: false }]);
    expect(config.num_generations).toBe(8);
  });
});

describe('the RL config as JSON', () => {
  it('round-trips the defaults and a config with every kind of nested value', () => {
    expect(parseRlConfig(JSON.parse(JSON.stringify(DEFAULT_RL_CONFIG)))).toEqual(DEFAULT_RL_CONFIG);
    const custom: RlConfig = {
      ...structuredClone(DEFAULT_RL_CONFIG),
      advantage_estimator: 'gae',
      num_generations: 1,
      prompts_per_step: 16,
      per_device_train_batch_size: 4,
      lr_scheduler_type: 'cosine',
      warmup_steps: 10,
      helpfulness_scorer: { kind: 'overlap', metric: 'rougeL' },
      finetune: { kind: 'lora', rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], dropout: 0.05 },
      refusal_rules: [{ pattern: String.raw`^\W*No\b`, kind: 'regex', caseSensitive: true }],
    };
    custom.helpfulness_scorer = { kind: 'none' }; // num_generations 1 rules out a scorer
    expect(parseRlConfig(JSON.parse(JSON.stringify(custom)))).toEqual(custom);
  });
});

describe('an invalid RL config', () => {
  // Each case: the input, and the problem it must report (key path first, then what to change).
  const cases: [string, unknown, string][] = [
    ['not an object', [1, 2], 'the config must be a JSON object {"key": value, ...}, not [1,2]'],
    ['an unknown key', { beta: 0, kl_penalty: 'k3' }, 'kl_penalty: not a setting here; remove it'],
    ['a mistyped key', { lerning_rate: 1e-5 }, 'lerning_rate: not a setting; did you mean learning_rate?'],
    ['another trainer’s name', { kl_coef: 0.01 }, 'kl_coef: not a setting; the lab calls it beta'],
    ['an unknown nested key', { format: { answerTag: 'answer', tag: 'x' } }, 'format.tag: not a setting here; remove it'],
    ['a string for a number', { learning_rate: '1e-5' }, 'learning_rate: must be a number, not "1e-5"'],
    ['a fraction for an integer', { num_generations: 2.5 }, 'num_generations: must be a whole number, not 2.5'],
    ['a zero temperature', { temperature: 0 }, 'temperature: must be greater than 0, not 0'],
    ['top_p above 1', { top_p: 1.5 }, 'top_p: must be at most 1, not 1.5'],
    ['a negative top_k', { top_k: -1 }, 'top_k: must be at least 0, not -1'],
    ['a negative epsilon', { epsilon: -0.1 }, 'epsilon: must be at least 0, not -0.1'],
    ['epsilon of 1', { epsilon: 1 }, 'epsilon: must be less than 1, not 1'],
    ['a negative beta', { beta: -0.01 }, 'beta: must be at least 0, not -0.01'],
    ['an unknown estimator', { advantage_estimator: 'ppo' }, 'advantage_estimator: must be one of "grpo", "rloo", "reinforce_pp_baseline", "gae", not "ppo"'],
    ['TRL’s string scale_rewards', { scale_rewards: 'batch' }, `scale_rewards: must be true (TRL's "group") or false (TRL's "none"), not "batch"; for TRL's "batch" choose the reinforce_pp_baseline estimator`],
    ['an empty stop string', { stop_strings: ['</answer>', ''] }, 'stop_strings[1]: must not be empty'],
    ['a seed beyond u32', { seed: 2 ** 32 }, 'seed: must be at most 4294967295, not 4294967296'],
    [
      'one generation for grpo',
      { num_generations: 1 },
      'num_generations: must be at least 2 for the grpo estimator (its baseline is the group mean); raise it or choose gae',
    ],
    [
      'one generation for rloo',
      { num_generations: 1, advantage_estimator: 'rloo' },
      'num_generations: must be at least 2 for the rloo estimator (its baseline is the mean of the other completions of its prompt); raise it or choose gae',
    ],
    [
      'a scorer without a group',
      { num_generations: 1, advantage_estimator: 'gae', helpfulness_scorer: { kind: 'overlap' } },
      `helpfulness_scorer: the overlap scorer's scores are z-normalised within a prompt's group, which needs num_generations of at least 2; raise num_generations or use {"kind": "none"}`,
    ],
    [
      'gae without a value loss',
      { advantage_estimator: 'gae', vf_coef: 0 },
      'vf_coef: must be greater than 0 for the gae estimator (the value head learns only through the value loss); raise it (TRL uses 0.1) or choose a group estimator',
    ],
    [
      'a micro-batch that does not divide the step',
      { per_device_train_batch_size: 3, prompts_per_step: 2, num_generations: 4 },
      'per_device_train_batch_size: 3 does not divide the 8 sequences of a step (prompts_per_step 2 × num_generations 4), so micro-batches would differ in size; choose one of 1, 2, 4, 8',
    ],
    [
      'warm-up longer than the run',
      { warmup_steps: 50, max_steps: 20 },
      'warmup_steps: 50 is more than max_steps (20), so the learning rate would never reach learning_rate; lower it',
    ],
    ['a template without {{prompt}}', { template: 'Think first.' }, "template: the template has no {{prompt}}: put {{prompt}} where the user's prompt goes"],
    ['equal format tags', { format: { reasoningTag: 'answer' } }, 'format: reasoningTag and answerTag are both "answer": they must differ'],
    ['a regex rule that does not compile', { refusal_rules: [{ pattern: 'I (cannot', kind: 'regex' }] }, 'refusal_rules: rule 1 ("I (cannot"): the regex does not compile'],
    ['an empty rule list', { refusal_rules: [] }, 'refusal_rules: the list is empty, so no answer would count as a refusal'],
    ['an unknown rule kind', { refusal_rules: [{ pattern: 'No', kind: 'suffix' }] }, 'refusal_rules[0].kind: must be one of "prefix", "contains", "regex", not "suffix"'],
    ['an unknown finetune kind', { finetune: { kind: 'qlora' } }, 'finetune.kind: must be one of "full", "lora", not "qlora"'],
    ['a finetune without a kind', { finetune: { rank: 8 } }, 'finetune.kind: is required: one of "full", "lora"'],
    ['a finetune that is not an object', { finetune: 'lora' }, 'finetune: must be an object such as {"kind": "full"}, not "lora"'],
    ['a LoRA rank of 0', { finetune: { kind: 'lora', rank: 0 } }, 'finetune: LoRA rank must be an integer in 1..512, not 0'],
    ['no LoRA targets', { finetune: { kind: 'lora', targets: [] } }, 'finetune: LoRA needs at least one target module'],
    ['an unknown LoRA target', { finetune: { kind: 'lora', targets: ['qkv_proj'] } }, 'finetune.targets[0]: must be one of "q_proj", "k_proj"'],
    ['a repeated LoRA target', { finetune: { kind: 'lora', targets: ['q_proj', 'v_proj', 'q_proj', 'q_proj'] } }, 'finetune.targets: q_proj is listed more than once; list each module once'],
    ['an unknown overlap metric', { helpfulness_scorer: { kind: 'overlap', metric: 'bleu' } }, 'helpfulness_scorer.metric: must be one of "f1", "rougeL", not "bleu"'],
  ];

  it.each(cases)('reports %s', (_, json, message) => {
    const problems = problemsOf(json);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('lists every problem at once, cross-field ones beside broken keys', () => {
    let error: RlConfigError | undefined;
    try {
      parseRlConfig({ temperature: -1, num_generations: 1, template: 'no placeholder', lerning_rate: 1 });
    } catch (e) {
      error = e as RlConfigError;
    }
    expect(error?.problems).toEqual([
      'temperature: must be greater than 0, not -1',
      'lerning_rate: not a setting; did you mean learning_rate?',
      'num_generations: must be at least 2 for the grpo estimator (its baseline is the group mean); raise it or choose gae',
      "template: the template has no {{prompt}}: put {{prompt}} where the user's prompt goes",
    ]);
    expect(error?.message).toBe(`the RL config has 4 problems:\n${error!.problems.map((p) => `  - ${p}`).join('\n')}`);
  });
});

describe('the learning-rate schedule', () => {
  const base = { learning_rate: 1, warmup_steps: 2, max_steps: 6 } as const;

  it('warms up linearly from the first step, then holds, or decays as transformers does', () => {
    // Warm-up over 2 steps: step 1 → 1/2, step 2 → 2/2. Then progress p = (step − 1 − 2)/(6 − 2):
    // steps 3..6 → p = 0, 1/4, 1/2, 3/4.
    const rates = (type: RlConfig['lr_scheduler_type']) => [1, 2, 3, 4, 5, 6].map((s) => scheduledLearningRate({ ...base, lr_scheduler_type: type }, s));
    expect(rates('constant')).toEqual([0.5, 1, 1, 1, 1, 1]);
    // linear: 1 − p.
    expect(rates('linear')).toEqual([0.5, 1, 1, 0.75, 0.5, 0.25]);
    // cosine: (1 + cos(πp))/2 = 1, (1 + √½)/2 ≈ 0.853553, 0.5, (1 − √½)/2 ≈ 0.146447.
    const cosine = rates('cosine');
    [0.5, 1, 1, 0.8535533906, 0.5, 0.1464466094].forEach((e, i) => expect(cosine[i]).toBeCloseTo(e, 9));
  });

  it('runs at the full rate from step 1 without warm-up', () => {
    expect(scheduledLearningRate({ ...base, warmup_steps: 0, lr_scheduler_type: 'linear' }, 1)).toBe(1);
  });
});
