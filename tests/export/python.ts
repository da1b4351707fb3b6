// Runs the verifiers of an export with the system's python3 (standard library only) on a batch of
// requests, one JSON line each, and returns its answers: the tests compare them with the
// TypeScript verifiers. The folder is what `lab export-run` writes (exportRun with the package as
// the command line loads it); the harness loads its entry file by path, as veRL does, and each
// request names a function of the entry file or of the package, with its arguments.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RlConfig } from '../../src/rl/config.ts';
import type { RefusalClassifier } from '../../src/rl/refusalClassifier.ts';
import { exportRun } from '../../src/export/exportRun.ts';
import type { ExportTarget } from '../../src/export/exportTypes.ts';
import { loadNodePythonSources } from '../../src/export/nodePythonSources.ts';
import { TRL_REWARDS_FILE } from '../../src/export/trl.ts';
import { VERL_REWARD_FILE } from '../../src/export/verl.ts';

const HARNESS = String.raw`
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
from alphaalign import helpfulness, jsmath, jstext, refusal_rules, rewards, verifiers
S = m.SETTINGS

def rule_matches(i, text):
    return S.rules[i].regex.search(jstext.to_units(text).translate(refusal_rules.APOSTROPHES)) is not None

def verify(text, label):
    v = verifiers.verify_completion(S, text)
    return {"format": v.format, "refusal": v.refusal, "rule_index": v.rule_index, "rule": v.rule,
            "answer": v.answer, "decided_by": v.decided_by, "probability": v.probability, "reason": v.reason,
            "reward": rewards.safety_reward_of(S, label, v.format, v.refusal)}

calls = {"rule_matches": rule_matches, "verify": verify,
         "helpfulness_rewards": lambda scores, refusals: rewards.helpfulness_rewards(S, scores, refusals),
         "token_f1": helpfulness.token_f1, "rouge_l": helpfulness.rouge_l,
         "render_prompt": lambda prompt: m.alphaalign.render_prompt(S, prompt),
         "js_exp": jsmath.js_exp, "js_number": jstext.js_number, "js_whitespace": lambda: jstext.JS_WHITESPACE}
for name in ("safety_reward", "helpfulness_reward", "format_rate", "refusal_rate_harmful", "over_refusal_rate_benign", "compute_score"):
    if hasattr(m, name):
        calls[name] = getattr(m, name)
out = []
for line in sys.stdin:
    request = json.loads(line)
    out.append(json.dumps(calls[request["call"]](*request.get("args", []), **request.get("kwargs", {}))))
sys.stdout.write("\n".join(out) + "\n")
`;

export interface PythonCall {
  call: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'lab-export-python-'));
const harness = join(dir, 'harness.py');
writeFileSync(harness, HARNESS);

/** Each call's result, in order, from the export whose entry file is `entryPath`. */
export function runPython(entryPath: string, calls: readonly PythonCall[]): unknown[] {
  const result = spawnSync('python3', [harness, entryPath], {
    input: calls.map((c) => JSON.stringify(c)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`python3 failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

/** An export of `config` for `target` written to a fresh folder (one placeholder prompt); the path of its reward entry file. */
export function writeExport(target: ExportTarget, config: RlConfig, classifier: RefusalClassifier | null): string {
  const folder = mkdtempSync(join(dir, `${target}-`));
  const input = { config, model: 'm', train: [{ id: '1', prompt: 'p', label: 'benign' as const }], eval: [], refusalClassifier: classifier, trainSource: 't', evalSource: 't', runCard: {} };
  for (const [name, content] of exportRun(target, input, loadNodePythonSources())) {
    mkdirSync(dirname(join(folder, name)), { recursive: true });
    writeFileSync(join(folder, name), content);
  }
  return join(folder, target === 'trl' ? TRL_REWARDS_FILE : VERL_REWARD_FILE);
}
