// Settings of a verifiable reward a tiny random model can move within a few steps: a "refusal" is
// any reply with a vowel, and the format reward is off (r_f 0), so a harmful prompt's reward is V_r.
// Four completions of six tokens for each of two prompts, seeded.
export const VOWEL_REWARD = {
  num_generations: 4,
  prompts_per_step: 2,
  max_completion_length: 6,
  per_device_train_batch_size: 4,
  template: '{{prompt}}',
  refusal_rules: [{ pattern: '[aeiou]', kind: 'regex' }],
  stop_strings: [],
  r_f: 0,
  seed: 3,
};
