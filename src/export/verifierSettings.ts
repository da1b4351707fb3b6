// What the Python package (python/alphaalign, settings.py) reads to judge and reward as the lab
// does: the template, the format tags, the refusal rules with their translations for Python's re,
// the judges with the learned classifier, the reward weights, and the lab's constants those use.
// An export writes it as alphaalign_settings.json beside the package; nothing else of a run's
// settings reaches the Python.
import type { RlConfig } from '../rl/config.ts';
import type { FormatSettings } from '../rl/formatVerifier.ts';
import type { RefusalClassifier, RefusalFeatureSettings } from '../rl/refusalClassifier.ts';
import { OVERRULE_MIN_TOKENS, RULE_VETO_BELOW, STRONGEST_FEATURES, type RefusalJudgeKind } from '../rl/refusalJudge.ts';
import { ruleRegExpSource, type RefusalRule } from '../rl/refusalVerifier.ts';
import { FLAT_GROUP_STD, HELPFULNESS_STD_EPS } from '../rl/rewards.ts';
import { APP_VERSION } from '../version.ts';
import { ExportError, type UnmappedSetting } from './exportTypes.ts';
import { pythonPattern, UntranslatableRegexError } from './pythonRegex.ts';

/** The settings file's name in an export, beside the package and the entry file that loads it. */
export const VERIFIER_SETTINGS_FILE = 'alphaalign_settings.json';
/** settings.py checks both, so a file from another lab release is refused by name, not misread. */
const VERIFIER_SETTINGS_KIND = 'alphaalign-verifier-settings';
const VERIFIER_SETTINGS_VERSION = 1;

/** The judge the Python runs for a lab judge: the user's ONNX classifier cannot run there, so the "onnx" judge's rules do. */
export type ExportedJudge = 'rules' | 'combined';

export interface VerifierSettings {
  kind: typeof VERIFIER_SETTINGS_KIND;
  version: typeof VERIFIER_SETTINGS_VERSION;
  lab_version: string;
  /** The template, and its placeholder (/\{\{\s*prompt\s*\}\}/ in template.ts) in Python's terms. */
  template: { text: string; placeholder: string };
  format: FormatSettings;
  /** In the lab's order, each with its pattern translated for Python's re (pythonRegex.ts). */
  rules: (RefusalRule & { python: string })[];
  judge: {
    reward: ExportedJudge;
    eval: ExportedJudge;
    /** The learned refusal classifier, when either judge is "combined". */
    classifier: { features: RefusalFeatureSettings; bias: number; weights: Record<string, number>; threshold: number } | null;
    rule_veto_below: number;
    overrule_min_tokens: number;
    strongest_features: number;
  };
  rewards: {
    r_f: number;
    r_a: number;
    w_h: number;
    helpfulness_scorer: RlConfig['helpfulness_scorer'];
    flat_group_std: number;
    helpfulness_std_eps: number;
  };
}

/** A rule with its Python pattern; throws ExportError naming the rule when it cannot be translated. */
function translatedRule(rule: RefusalRule, index: number): RefusalRule & { python: string } {
  const { source, ignoreCase } = ruleRegExpSource(rule);
  try {
    return { ...rule, python: pythonPattern(source, ignoreCase) };
  } catch (error) {
    if (error instanceof UntranslatableRegexError) {
      throw new ExportError(`refusal rule ${index + 1} (${JSON.stringify(rule.pattern)}): ${error.message}; rewrite the rule without it (the lab and the export must judge alike)`);
    }
    throw error;
  }
}

export function exportedJudge(kind: RefusalJudgeKind): ExportedJudge {
  return kind === 'onnx' ? 'rules' : kind;
}

/** Whether a run judges refusals with the learned classifier somewhere (its reward or its evaluation). */
export function judgesWithClassifier(config: Pick<RlConfig, 'reward_judge' | 'eval_judge'>): boolean {
  return config.reward_judge === 'combined' || config.eval_judge === 'combined';
}

/** For either target's list of settings without a counterpart: a judge with the user's ONNX refusal classifier. */
export function onnxJudgeUnmapped(config: Pick<RlConfig, 'reward_judge' | 'eval_judge'>): UnmappedSetting[] {
  const keys = (['reward_judge', 'eval_judge'] as const).filter((key) => config[key] === 'onnx');
  if (keys.length === 0) return [];
  return [
    {
      setting: `${keys.join(' and ')} "onnx"`,
      handling: 'judged with the rules alone in the exported Python (standard library only: your ONNX refusal classifier cannot run there); call your classifier in the reward function after the rules to judge as the lab did',
    },
  ];
}

/**
 * Everything that decides a verdict or a reward. The learned refusal classifier goes in when the
 * run judges with it; throws ExportError when it is needed and missing, or a rule cannot be translated.
 */
export function verifierSettings(config: RlConfig, classifier: RefusalClassifier | null): VerifierSettings {
  if (judgesWithClassifier(config) && !classifier) throw new ExportError('the run judges refusals with the learned classifier (reward_judge or eval_judge "combined"), but none was given to export');
  return {
    kind: VERIFIER_SETTINGS_KIND,
    version: VERIFIER_SETTINGS_VERSION,
    lab_version: APP_VERSION,
    template: { text: config.template, placeholder: pythonPattern(String.raw`\{\{\s*prompt\s*\}\}`, false) },
    format: config.format,
    rules: config.refusal_rules.map(translatedRule),
    judge: {
      reward: exportedJudge(config.reward_judge),
      eval: exportedJudge(config.eval_judge),
      classifier: judgesWithClassifier(config) && classifier ? { features: classifier.features, bias: classifier.bias, weights: classifier.weights, threshold: classifier.threshold } : null,
      rule_veto_below: RULE_VETO_BELOW,
      overrule_min_tokens: OVERRULE_MIN_TOKENS,
      strongest_features: STRONGEST_FEATURES,
    },
    rewards: {
      r_f: config.r_f,
      r_a: config.r_a,
      w_h: config.w_h,
      helpfulness_scorer: config.helpfulness_scorer,
      flat_group_std: FLAT_GROUP_STD,
      helpfulness_std_eps: HELPFULNESS_STD_EPS,
    },
  };
}

/** The settings file as written: JSON, readable, ending in a newline. */
export function verifierSettingsJson(config: RlConfig, classifier: RefusalClassifier | null): string {
  return `${JSON.stringify(verifierSettings(config, classifier), null, 2)}\n`;
}
