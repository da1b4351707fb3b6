// The reward settings of the RL config (template, V_f, the ordered refusal rules, the refusal
// judges of the reward and of evaluation, r_f, r_a, w_h, the helpfulness scorer) as the Rewards
// panel edits them, persisted in IndexedDB. The training run
// reads them through getRewardSettings(), a partial RlConfig to merge before parseRlConfig.
import { create } from 'zustand';
import type { RlConfig } from '../../rl/config.ts';
import { DEFAULT_TEMPLATE, templateProblem } from '../../rl/template.ts';
import { DEFAULT_FORMAT_SETTINGS, formatSettingsProblems, type FormatSettings } from '../../rl/formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../../rl/refusalRules.ts';
import { REFUSAL_JUDGE_KINDS, type RefusalJudgeKind } from '../../rl/refusalJudge.ts';
import { REFUSAL_RULE_KINDS, refusalRuleProblems, type RefusalRule, type RefusalRuleKind } from '../../rl/refusalVerifier.ts';
import { labStorage } from '../../data/storage.ts';

export type RewardSettings = Pick<RlConfig, 'template' | 'format' | 'refusal_rules' | 'reward_judge' | 'eval_judge' | 'r_f' | 'r_a' | 'w_h' | 'helpfulness_scorer'>;
export type HelpfulnessScorer = RewardSettings['helpfulness_scorer'];

export const REWARD_SETTINGS_KEY = 'rewards';

export function defaultRewardSettings(): RewardSettings {
  return {
    template: DEFAULT_TEMPLATE,
    format: { ...DEFAULT_FORMAT_SETTINGS },
    refusal_rules: DEFAULT_REFUSAL_RULES.map((r) => ({ ...r })),
    reward_judge: 'rules',
    eval_judge: 'combined',
    r_f: 1,
    r_a: 1,
    w_h: 1,
    helpfulness_scorer: { kind: 'none' },
  };
}

/** Saved settings read back field by field: a field that is missing or malformed takes its default. */
export function reviveRewardSettings(value: unknown): RewardSettings {
  const d = defaultRewardSettings();
  if (!value || typeof value !== 'object') return d;
  const v = value as Record<string, unknown>;
  const weight = (x: unknown, fallback: number) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback);
  const f = (v.format ?? {}) as Record<string, unknown>;
  const format: FormatSettings = {
    reasoningTag: typeof f.reasoningTag === 'string' ? f.reasoningTag : d.format.reasoningTag,
    answerTag: typeof f.answerTag === 'string' ? f.answerTag : d.format.answerTag,
    allowEmptyReasoning: typeof f.allowEmptyReasoning === 'boolean' ? f.allowEmptyReasoning : d.format.allowEmptyReasoning,
  };
  const rules = Array.isArray(v.refusal_rules)
    ? (v.refusal_rules as unknown[]).flatMap((r): RefusalRule[] => {
        const rule = r as Record<string, unknown> | null;
        if (!rule || typeof rule.pattern !== 'string' || !REFUSAL_RULE_KINDS.includes(rule.kind as RefusalRuleKind)) return [];
        return [{ pattern: rule.pattern, kind: rule.kind as RefusalRuleKind, caseSensitive: rule.caseSensitive === true }];
      })
    : d.refusal_rules;
  const s = v.helpfulness_scorer as Record<string, unknown> | undefined;
  const scorer: HelpfulnessScorer =
    s?.kind === 'overlap' ? { kind: 'overlap', metric: s.metric === 'rougeL' ? 'rougeL' : 'f1' } : s?.kind === 'onnx' ? { kind: 'onnx' } : { kind: 'none' };
  return {
    template: typeof v.template === 'string' ? v.template : d.template,
    format,
    refusal_rules: rules,
    reward_judge: REFUSAL_JUDGE_KINDS.includes(v.reward_judge as RefusalJudgeKind) ? (v.reward_judge as RefusalJudgeKind) : d.reward_judge,
    eval_judge: REFUSAL_JUDGE_KINDS.includes(v.eval_judge as RefusalJudgeKind) ? (v.eval_judge as RefusalJudgeKind) : d.eval_judge,
    r_f: weight(v.r_f, d.r_f),
    r_a: weight(v.r_a, d.r_a),
    w_h: weight(v.w_h, d.w_h),
    helpfulness_scorer: scorer,
  };
}

/** Every reason these settings cannot start a run, by field; empty when they can. */
export function rewardSettingsProblems(s: RewardSettings): { field: keyof RewardSettings; message: string }[] {
  const problems: { field: keyof RewardSettings; message: string }[] = [];
  const t = templateProblem(s.template);
  if (t) problems.push({ field: 'template', message: t });
  for (const m of formatSettingsProblems(s.format)) problems.push({ field: 'format', message: m });
  if (s.refusal_rules.length === 0) problems.push({ field: 'refusal_rules', message: 'the list is empty, so no answer would count as a refusal: add a rule' });
  for (const p of refusalRuleProblems(s.refusal_rules)) problems.push({ field: 'refusal_rules', message: p.message });
  for (const key of ['r_f', 'r_a', 'w_h'] as const) {
    if (!(Number.isFinite(s[key]) && s[key] >= 0)) problems.push({ field: key, message: `${key} must be a number ≥ 0` });
  }
  return problems;
}

interface RewardsStore {
  settings: RewardSettings;
  loaded: boolean;
  saveError: string | null;
  init(): Promise<void>;
  update(patch: Partial<RewardSettings>): void;
  setFormat(patch: Partial<FormatSettings>): void;
  addRule(rule?: RefusalRule): void;
  updateRule(index: number, patch: Partial<RefusalRule>): void;
  moveRule(index: number, by: -1 | 1): void;
  deleteRule(index: number): void;
  resetRules(): void;
  resetAll(): void;
}

let initStarted: Promise<void> | null = null;

export const useRewardsStore = create<RewardsStore>((set, get) => ({
  settings: defaultRewardSettings(),
  loaded: false,
  saveError: null,
  init() {
    return (initStarted ??= (async () => {
      try {
        const saved = await labStorage().store<unknown>('settings').get(REWARD_SETTINGS_KEY);
        if (saved !== undefined) set({ settings: reviveRewardSettings(saved) });
      } catch (error) {
        set({ saveError: `The saved reward settings could not be read: ${error instanceof Error ? error.message : String(error)}` });
      }
      set({ loaded: true });
    })());
  },
  update(patch) {
    set((s) => ({ settings: { ...s.settings, ...patch } }));
  },
  setFormat(patch) {
    set((s) => ({ settings: { ...s.settings, format: { ...s.settings.format, ...patch } } }));
  },
  addRule(rule = { pattern: '', kind: 'contains', caseSensitive: false }) {
    set((s) => ({ settings: { ...s.settings, refusal_rules: [...s.settings.refusal_rules, rule] } }));
  },
  updateRule(index, patch) {
    set((s) => ({ settings: { ...s.settings, refusal_rules: s.settings.refusal_rules.map((r, i) => (i === index ? { ...r, ...patch } : r)) } }));
  },
  moveRule(index, by) {
    const rules = [...get().settings.refusal_rules];
    const to = index + by;
    if (to < 0 || to >= rules.length) return;
    [rules[index], rules[to]] = [rules[to]!, rules[index]!];
    set((s) => ({ settings: { ...s.settings, refusal_rules: rules } }));
  },
  deleteRule(index) {
    set((s) => ({ settings: { ...s.settings, refusal_rules: s.settings.refusal_rules.filter((_, i) => i !== index) } }));
  },
  resetRules() {
    set((s) => ({ settings: { ...s.settings, refusal_rules: defaultRewardSettings().refusal_rules } }));
  },
  resetAll() {
    set({ settings: defaultRewardSettings() });
  },
}));

/** The reward part of the RL config, as edited: merge into the run's config before parseRlConfig. */
export function getRewardSettings(): RewardSettings {
  return structuredClone(useRewardsStore.getState().settings);
}

/** Why the current reward settings cannot start a run (empty when they can). */
export function getRewardSettingsProblems(): string[] {
  return rewardSettingsProblems(useRewardsStore.getState().settings).map((p) => `${p.field}: ${p.message}`);
}

// ------------------------------------------------------------------------------ persistence

let saveTimer: ReturnType<typeof setTimeout> | null = null;
useRewardsStore.subscribe((state, previous) => {
  if (!state.loaded || state.settings === previous.settings) return;
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    saveTimer = null;
    labStorage()
      .store<RewardSettings>('settings')
      .put(REWARD_SETTINGS_KEY, useRewardsStore.getState().settings)
      .then(
        () => useRewardsStore.getState().saveError && useRewardsStore.setState({ saveError: null }),
        (error: unknown) => useRewardsStore.setState({ saveError: `The reward settings could not be saved: ${error instanceof Error ? error.message : String(error)}` }),
      );
  }, 300);
});
