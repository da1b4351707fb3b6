import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import './dataRewards.css';
import type { Label } from '../../data/schema.ts';
import { safetyReward } from '../../rl/rewards.ts';
import { renderTemplate, templateProblem } from '../../rl/template.ts';
import { formatSettingsProblems } from '../../rl/formatVerifier.ts';
import { scoreRefusal } from '../../rl/refusalClassifier.ts';
import { makeRefusalJudge, STRONGEST_FEATURES, type RefusalJudgeKind } from '../../rl/refusalJudge.ts';
import { REFUSAL_RULE_KINDS, refusalRuleProblems, type RefusalRuleKind } from '../../rl/refusalVerifier.ts';
import { verifyCompletion, type CompletionVerdict } from '../../rl/verifiers.ts';
import { useRefusalClassifierStore } from '../stores/refusalClassifierStore.ts';
import { onnxModelStores } from '../stores/onnxModelStores.ts';
import type { OnnxModelRole } from '../../worker/protocol.ts';
import { useRewardsStore, type HelpfulnessScorer, type RewardSettings } from '../stores/rewardsStore.ts';

const EXAMPLE_ANSWER = String.raw`<safety_reasoning>The user asks for instructions to hurt someone: this is harmful.</safety_reasoning>
<answer>\boxed{Sorry, I can't comply}</answer>`;

/** The template, the verifiers V_f and V_r, the reward weights, and a live tester. */
export function RewardsPanel() {
  const init = useRewardsStore((s) => s.init);
  const saveError = useRewardsStore((s) => s.saveError);
  const resetAll = useRewardsStore((s) => s.resetAll);
  const settings = useRewardsStore((s) => s.settings);
  const loadClassifier = useRefusalClassifierStore((s) => s.load);
  const classifierState = useRefusalClassifierStore(useShallow((s) => ({ status: s.status, classifier: s.classifier, error: s.error })));
  const classifier = classifierState.classifier;
  useEffect(() => {
    void init();
    void loadClassifier();
  }, [init, loadClassifier]);
  const [answer, setAnswer] = useState(EXAMPLE_ANSWER);
  const [label, setLabel] = useState<Label>('harmful');
  const formatOk = formatSettingsProblems(settings.format).length === 0;
  // V_r as the reward's judge gives it; null while that judge waits for the classifier. The
  // user's ONNX classifier runs in the worker, so the tester shows its judge's rules.
  const verdict = useMemo(() => {
    const judge = testerJudge(settings.reward_judge);
    if (!formatOk || (judge === 'combined' && !classifier)) return null;
    return verifyCompletion(answer, settings.format, makeRefusalJudge(judge, settings.refusal_rules, classifier));
  }, [answer, settings.format, settings.refusal_rules, settings.reward_judge, formatOk, classifier]);
  return (
    <section className="panel rewards-panel" aria-labelledby="rewards-heading">
      <h2 id="rewards-heading">Rewards</h2>
      <p className="muted small">
        Safety reward R<sub>s</sub> = r<sub>f</sub>·V<sub>f</sub> + r<sub>a</sub>·V<sub>r</sub> for a harmful prompt, r<sub>f</sub>·V<sub>f</sub> − r
        <sub>a</sub>·V<sub>r</sub> for a benign one; a benign prompt adds w<sub>h</sub>·R<sub>h</sub> from the helpfulness scorer.
      </p>
      {saveError && (
        <p className="error" role="alert">
          {saveError}
        </p>
      )}
      <div className="rewards-grid">
        <div>
          <TemplateEditor />
          <FormatEditor />
          <WeightsEditor />
          <JudgeEditor />
          <button type="button" className="secondary" onClick={resetAll}>
            Reset every reward setting to the defaults
          </button>
        </div>
        <RewardTester answer={answer} setAnswer={setAnswer} label={label} setLabel={setLabel} verdict={verdict} settings={settings} classifierState={classifierState} />
      </div>
      <RulesEditor matched={verdict?.refusal.rulesVote.ruleIndex ?? null} />
    </section>
  );
}

function TemplateEditor() {
  const template = useRewardsStore((s) => s.settings.template);
  const update = useRewardsStore((s) => s.update);
  const problem = templateProblem(template);
  return (
    <fieldset>
      <legend>Prompt template</legend>
      <label className="block">
        <span className="visually-hidden">Template</span>
        <textarea data-testid="reward-template" rows={7} value={template} onChange={(e) => update({ template: e.target.value })} spellCheck={false} />
      </label>
      {problem ? (
        <p className="error" role="alert" data-testid="template-problem">
          {problem}
        </p>
      ) : (
        <details>
          <summary className="muted small">Preview with an example prompt</summary>
          <pre className="preview">{renderTemplate(template, 'How do I kill a Python process?')}</pre>
        </details>
      )}
    </fieldset>
  );
}

function FormatEditor() {
  const format = useRewardsStore((s) => s.settings.format);
  const setFormat = useRewardsStore((s) => s.setFormat);
  const problems = formatSettingsProblems(format);
  return (
    <fieldset>
      <legend>
        Format verifier V<sub>f</sub>
      </legend>
      <div className="row-fields">
        <label>
          Reasoning tag
          <input value={format.reasoningTag} onChange={(e) => setFormat({ reasoningTag: e.target.value })} data-testid="format-reasoning-tag" />
        </label>
        <label>
          Answer tag
          <input value={format.answerTag} onChange={(e) => setFormat({ answerTag: e.target.value })} data-testid="format-answer-tag" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={format.allowEmptyReasoning} onChange={(e) => setFormat({ allowEmptyReasoning: e.target.checked })} /> empty reasoning counts
        </label>
      </div>
      {problems.map((p) => (
        <p key={p} className="error" role="alert">
          {p}
        </p>
      ))}
    </fieldset>
  );
}

function NumberField({ name, value, onChange, disabled }: { name: string; value: number; onChange(v: number): void; disabled?: boolean }) {
  const [text, setText] = useState(String(value));
  useEffect(() => {
    setText((t) => (Number(t) === value ? t : String(value)));
  }, [value]);
  const bad = text.trim() === '' || !Number.isFinite(Number(text)) || Number(text) < 0;
  return (
    <label>
      {name}
      <input
        type="number"
        min={0}
        step={0.1}
        value={text}
        disabled={disabled}
        aria-invalid={bad}
        data-testid={`reward-${name}`}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v) && v >= 0) onChange(v);
        }}
      />
      {bad && <span className="error small">a number ≥ 0</span>}
    </label>
  );
}

const SCORERS: { value: string; text: string; scorer: HelpfulnessScorer }[] = [
  { value: 'none', text: 'none (AlphaAlign-Zero)', scorer: { kind: 'none' } },
  { value: 'overlap-f1', text: 'overlap with the reference: token F1', scorer: { kind: 'overlap', metric: 'f1' } },
  { value: 'overlap-rougeL', text: 'overlap with the reference: ROUGE-L', scorer: { kind: 'overlap', metric: 'rougeL' } },
  { value: 'onnx', text: 'ONNX reward model', scorer: { kind: 'onnx' } },
];

function WeightsEditor() {
  const s = useRewardsStore((st) => st.settings);
  const update = useRewardsStore((st) => st.update);
  const current = s.helpfulness_scorer.kind === 'overlap' ? `overlap-${s.helpfulness_scorer.metric}` : s.helpfulness_scorer.kind;
  return (
    <fieldset>
      <legend>Weights and helpfulness</legend>
      <div className="row-fields">
        <NumberField name="r_f" value={s.r_f} onChange={(v) => update({ r_f: v })} />
        <NumberField name="r_a" value={s.r_a} onChange={(v) => update({ r_a: v })} />
        <NumberField name="w_h" value={s.w_h} onChange={(v) => update({ w_h: v })} disabled={s.helpfulness_scorer.kind === 'none'} />
        <label>
          Helpfulness scorer
          <select
            data-testid="reward-scorer"
            value={current}
            onChange={(e) => {
              const choice = SCORERS.find((c) => c.value === e.target.value);
              if (choice) update({ helpfulness_scorer: choice.scorer });
            }}
          >
            {SCORERS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.text}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">
        {s.helpfulness_scorer.kind === 'none'
          ? 'No helpfulness reward: w_h has no effect.'
          : s.helpfulness_scorer.kind === 'onnx'
            ? 'Benign answers are scored by your reward model (prompt and answer through its chat template), z-normalised within each prompt’s group.'
            : 'Benign answers are scored against the row’s reference answer (rows without one score 0), z-normalised within each prompt’s group.'}
      </p>
      {s.helpfulness_scorer.kind === 'onnx' && (
        <OnnxModelPicker
          role="reward"
          files={
            <>
              Reward model files: one <code>.onnx</code>, its <code>tokenizer.json</code> and, for its chat template, <code>tokenizer_config.json</code>
            </>
          }
        />
      )}
    </fieldset>
  );
}

const JUDGES: { value: RefusalJudgeKind; text: string }[] = [
  { value: 'rules', text: 'rules' },
  { value: 'combined', text: 'rules + classifier' },
  { value: 'onnx', text: 'rules + your ONNX classifier' },
];

/** The judge the tester runs for the reward's: the user's ONNX classifier runs only in the worker, so its rules. */
const testerJudge = (kind: RefusalJudgeKind): Exclude<RefusalJudgeKind, 'onnx'> => (kind === 'onnx' ? 'rules' : kind);

/** Which refusal judge scores the reward, and which the held-out evaluation (refusalJudge.ts). */
function JudgeEditor() {
  const rewardJudge = useRewardsStore((s) => s.settings.reward_judge);
  const evalJudge = useRewardsStore((s) => s.settings.eval_judge);
  const update = useRewardsStore((s) => s.update);
  const { status, error } = useRefusalClassifierStore();
  const select = (testId: string, value: RefusalJudgeKind, onChange: (v: RefusalJudgeKind) => void) => (
    <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value as RefusalJudgeKind)}>
      {JUDGES.map((j) => (
        <option key={j.value} value={j.value}>
          {j.text}
        </option>
      ))}
    </select>
  );
  return (
    <fieldset>
      <legend>Refusal judge</legend>
      <div className="row-fields">
        <label>
          for the reward {select('reward-judge', rewardJudge, (v) => update({ reward_judge: v }))}
        </label>
        <label>
          for evaluation {select('eval-judge', evalJudge, (v) => update({ eval_judge: v }))}
        </label>
      </div>
      <p className="muted small">
        The rules decide what they match; the classifier (trained on XSTest's human labels) overrules a rule only when it is confident, and decides what no
        rule matches, such as refusals that moralise without a refusal phrase. Judging evaluation apart from the reward keeps a policy that learns to slip
        past the rules in view.
      </p>
      {status === 'error' && error && (
        <p className="error small" role="alert" data-testid="classifier-status">
          {error}
        </p>
      )}
      {(rewardJudge === 'onnx' || evalJudge === 'onnx') && (
        <OnnxModelPicker
          role="refusal"
          files={
            <>
              Your refusal classifier: one <code>.onnx</code> sequence classifier, its <code>tokenizer.json</code> and, for which class is the refusal,
              its <code>config.json</code> (<code>id2label</code>). It decides what no rule matches (P(refusal) ≥ 0.5).
            </>
          }
        />
      )}
    </fieldset>
  );
}

const ONNX_MODEL_NAMES: Record<OnnxModelRole, string> = { reward: 'reward model', refusal: 'refusal classifier' };

/** One of the user's ONNX models: its files, sent to the worker, which runs it with onnxruntime-web. */
function OnnxModelPicker({ role, files }: { role: OnnxModelRole; files: ReactNode }) {
  const { status, label, error, load } = onnxModelStores[role]();
  const name = ONNX_MODEL_NAMES[role];
  const testId = name.replace(' ', '-');
  return (
    <div className={testId}>
      <label>
        <span>{files}</span>
        <input
          type="file"
          multiple
          accept=".onnx,.json"
          data-testid={`${testId}-input`}
          onChange={(e) => {
            const picked = [...(e.target.files ?? [])];
            if (picked.length > 0) load(picked);
            e.target.value = '';
          }}
        />
      </label>
      <p className={status === 'error' ? 'error small' : 'muted small'} data-testid={`${testId}-status`} role="status">
        {status === 'none' && `No ${name} yet: a run that needs it will not start until one is loaded.`}
        {status === 'loading' && `Loading ${label}…`}
        {status === 'ready' && `Ready: ${label}.`}
        {status === 'error' && error && `${error.message}. ${error.recovery}`}
      </p>
    </div>
  );
}

function RulesEditor({ matched }: { matched: number | null }) {
  const rules = useRewardsStore((s) => s.settings.refusal_rules);
  const { addRule, updateRule, moveRule, deleteRule, resetRules } = useRewardsStore.getState();
  const problems = useMemo(() => refusalRuleProblems(rules), [rules]);
  return (
    <fieldset className="rules">
      <legend>
        Refusal verifier V<sub>r</sub>: rules, in order (the first that matches decides)
      </legend>
      <p className="muted small">
        <b>prefix</b>: the answer starts with it (quotes, markdown and <code>\boxed{'{'}</code> skipped) · <b>contains</b>: anywhere · <b>regex</b>: a
        JavaScript regular expression searched anywhere. V<sub>r</sub> reads the answer inside the answer tag when V<sub>f</sub> holds, the whole text otherwise.
      </p>
      {rules.length === 0 && (
        <p className="error" role="alert">
          No rules: no answer would count as a refusal. Add one, or reset to the defaults.
        </p>
      )}
      <ol className="rule-list" data-testid="reward-rules" data-count={rules.length}>
        {rules.map((rule, i) => {
          const mine = problems.filter((p) => p.index === i);
          return (
            <li
              key={i}
              className={`rule${mine.length ? ' invalid' : ''}${matched === i ? ' matched' : ''}`}
              data-testid="reward-rule"
              data-index={i}
              title={matched === i ? 'The rule that matches the answer in the tester' : undefined}
            >
              <span className="rule-number">{i + 1}</span>
              <select aria-label={`Kind of rule ${i + 1}`} data-testid="rule-kind" value={rule.kind} onChange={(e) => updateRule(i, { kind: e.target.value as RefusalRuleKind })}>
                {REFUSAL_RULE_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
              <input
                className="rule-pattern"
                aria-label={`Pattern of rule ${i + 1}`}
                data-testid="rule-pattern"
                value={rule.pattern}
                spellCheck={false}
                aria-invalid={mine.length > 0}
                onChange={(e) => updateRule(i, { pattern: e.target.value })}
              />
              <label className="inline small">
                <input type="checkbox" data-testid="rule-case" checked={rule.caseSensitive} onChange={(e) => updateRule(i, { caseSensitive: e.target.checked })} /> match case
              </label>
              <button type="button" className="icon" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => moveRule(i, -1)}>
                ↑
              </button>
              <button type="button" className="icon" aria-label={`Move rule ${i + 1} down`} disabled={i === rules.length - 1} onClick={() => moveRule(i, 1)}>
                ↓
              </button>
              <button type="button" className="icon danger" aria-label={`Delete rule ${i + 1}`} data-testid="rule-delete" onClick={() => deleteRule(i)}>
                ✕
              </button>
              {mine.map((p) => (
                <p key={p.message} className="error small rule-problem" role="alert">
                  {p.message}
                </p>
              ))}
            </li>
          );
        })}
      </ol>
      <div className="toolbar">
        <button type="button" data-testid="rule-add" onClick={() => addRule()}>
          Add a rule
        </button>
        <button type="button" className="secondary" onClick={resetRules}>
          Reset the rules to the defaults
        </button>
      </div>
    </fieldset>
  );
}

/** Why the safety reward came out as it did, in the case at hand (label × verdict). */
export function rewardExplanation(label: Label, refusal: boolean): string {
  if (label === 'harmful') return refusal ? 'refusing a harmful prompt is right' : 'complying with a harmful prompt earns no refusal reward';
  return refusal ? 'refusing a benign prompt is wrong' : 'answering a benign prompt costs nothing';
}

/** The tester's column is narrow: the names wrap in a column of their own width, the verdicts take the rest. */
const VERDICT_GRID_STYLE = { gridTemplateColumns: 'minmax(0, 8em) minmax(0, 1fr)' } as const;
const FEATURE_LIST_STYLE = { listStyle: 'none', padding: 0, margin: '2px 0 0', display: 'flex', flexWrap: 'wrap', gap: '2px 12px' } as const;

/** The classifier's vote: its probability and the features that moved it most, as text. */
function ClassifierVoteView({ text, classifierState: { status, classifier, error } }: { text: string; classifierState: ClassifierState }) {
  const score = useMemo(() => (classifier ? scoreRefusal(classifier, text) : null), [classifier, text]);
  if (!score) {
    return (
      <dd data-testid="tester-classifier-vote" className={status === 'error' ? 'error small' : 'muted small'}>
        {status === 'error' ? error : 'loading the classifier…'}
      </dd>
    );
  }
  const features = score.contributions.slice(0, STRONGEST_FEATURES);
  return (
    <dd data-testid="tester-classifier-vote" data-probability={score.probability} data-value={score.refusal ? 1 : 0}>
      <span className={`badge ${score.refusal ? 'warn' : 'neutral'}`}>{score.refusal ? 1 : 0}</span> p(refusal) = {score.probability.toFixed(2)}
      {features.length > 0 ? (
        <ul className="small" data-testid="tester-features" style={FEATURE_LIST_STYLE}>
          {features.map((f) => (
            <li key={f.feature}>
              <code>{f.feature.slice(2)}</code> {f.contribution >= 0 ? '+' : '−'}
              {Math.abs(f.contribution).toFixed(2)}
            </li>
          ))}
        </ul>
      ) : (
        <span className="muted small"> (no word it knows)</span>
      )}
    </dd>
  );
}

type ClassifierState = Pick<ReturnType<typeof useRefusalClassifierStore.getState>, 'status' | 'classifier' | 'error'>;

interface TesterProps {
  answer: string;
  setAnswer(answer: string): void;
  label: Label;
  setLabel(label: Label): void;
  verdict: CompletionVerdict | null;
  settings: RewardSettings;
  classifierState: ClassifierState;
}

/** The live tester; it reads nothing from the stores, so it renders the same anywhere. */
export function RewardTester({ answer, setAnswer, label, setLabel, verdict, settings, classifierState }: TesterProps) {
  const unusable = useMemo(() => refusalRuleProblems(settings.refusal_rules), [settings.refusal_rules]);
  const reward = verdict ? safetyReward(label, verdict.formatScore, verdict.refusalScore, settings) : null;
  const rulesVote = verdict?.refusal.rulesVote;
  return (
    <fieldset className="tester" data-testid="reward-tester">
      <legend>Try an answer</legend>
      <label className="block">
        Model output (reasoning and answer)
        <textarea data-testid="tester-answer" rows={6} value={answer} onChange={(e) => setAnswer(e.target.value)} spellCheck={false} />
      </label>
      <label>
        The prompt was{' '}
        <select data-testid="tester-label" value={label} onChange={(e) => setLabel(e.target.value as Label)}>
          <option value="harmful">harmful</option>
          <option value="benign">benign</option>
        </select>
      </label>
      {formatSettingsProblems(settings.format).length > 0 ? (
        <p className="error">Fix the format verifier's tags to test answers.</p>
      ) : verdict === null || rulesVote === undefined ? (
        <p className="muted" data-testid="tester-waiting">
          The reward's judge is rules + classifier: loading the classifier…
        </p>
      ) : (
        <dl className="facts verdict" style={VERDICT_GRID_STYLE}>
          <dt>
            V<sub>f</sub> (format)
          </dt>
          <dd data-testid="tester-vf" data-value={verdict.formatScore}>
            <span className={`badge ${verdict.formatScore ? 'ok' : 'warn'}`}>{verdict.formatScore}</span>{' '}
            {verdict.format.ok ? 'reasoning, then answer, in their tags' : verdict.format.reason}
          </dd>
          <dt>The rules' vote</dt>
          <dd data-testid="tester-rules-vote" data-value={rulesVote.refusal ? 1 : 0} data-rule={rulesVote.ruleIndex ?? ''}>
            {rulesVote.rule
              ? `a refusal: rule ${rulesVote.ruleIndex! + 1} (${rulesVote.rule.kind} ${JSON.stringify(rulesVote.rule.pattern)}) matches`
              : 'not a refusal: no rule matches'}
            {unusable.length > 0 && (
              <span className="error small" data-testid="tester-rule-problems">
                {' '}
                ({unusable.length === 1 ? 'a rule was' : `${unusable.length} rules were`} skipped: {unusable.map((p) => p.message).join('; ')})
              </span>
            )}
          </dd>
          <dt>The classifier's vote</dt>
          <ClassifierVoteView text={verdict.judgedText} classifierState={classifierState} />
          <dt>
            V<sub>r</sub> (refusal, judged by {settings.reward_judge === 'combined' ? 'rules + classifier' : settings.reward_judge === 'onnx' ? 'the rules here; your ONNX classifier decides the rest in the run' : 'the rules'})
          </dt>
          <dd data-testid="tester-vr" data-value={verdict.refusalScore} data-rule={verdict.refusal.ruleIndex ?? ''} data-decided-by={verdict.refusal.decidedBy}>
            <span className={`badge ${!verdict.refusalScore ? 'neutral' : label === 'harmful' ? 'ok' : 'warn'}`}>{verdict.refusalScore}</span> {verdict.refusal.reason}{' '}
            <span className="muted small">(read {verdict.judged === 'answer' ? 'the answer' : 'the whole text'})</span>
          </dd>
          <dt>
            Safety reward R<sub>s</sub>
          </dt>
          <dd data-testid="tester-reward" data-value={reward!}>
            <strong>{formatNumber(reward!)}</strong>{' '}
            <span className="muted small" data-testid="tester-explanation">
              = {formatNumber(settings.r_f)}·{verdict.formatScore} {label === 'harmful' ? '+' : '−'} {formatNumber(settings.r_a)}·{verdict.refusalScore} (
              {rewardExplanation(label, verdict.refusalScore === 1)})
            </span>
          </dd>
          {label === 'benign' && settings.helpfulness_scorer.kind !== 'none' && (
            <>
              <dt>Helpfulness</dt>
              <dd className="muted small">R_h compares an answer with the others of its group; a single answer has R_h = 0.</dd>
            </>
          )}
        </dl>
      )}
    </fieldset>
  );
}

const formatNumber = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, ''));
