// Runs an exported Python module with the system's python3 (standard library only) on a batch of
// requests, one JSON line each, and returns its answers: the tests compare them with the
// TypeScript verifiers. Requests name a function of the module and its arguments.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HARNESS = String.raw`
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)

def rule_matches(i, text):
    return m._RULE_REGEXES[i].search(m.to_units(text).translate(m._APOSTROPHES)) is not None

def verify(text, label):
    v = m.verify_completion(text)
    return {"format": v["format"], "refusal": v["refusal"], "rule_index": v["rule_index"], "rule": v["rule"],
            "answer": v["answer"], "decided_by": v["decided_by"], "probability": v["probability"], "reason": v["reason"],
            "reward": m.safety_reward_of(label, v["format"], v["refusal"])}

calls = {"rule_matches": rule_matches, "verify": verify, "helpfulness_rewards": m.helpfulness_rewards,
         "token_f1": m.token_f1, "rouge_l": m.rouge_l, "render_prompt": m.render_prompt,
         "safety_reward": getattr(m, "safety_reward", None), "helpfulness_reward": getattr(m, "helpfulness_reward", None),
         "compute_score": getattr(m, "compute_score", None),
         "format_rate": getattr(m, "format_rate", None), "refusal_rate_harmful": getattr(m, "refusal_rate_harmful", None),
         "over_refusal_rate_benign": getattr(m, "over_refusal_rate_benign", None), "js_exp": m.js_exp, "js_number": m.js_number}
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

/** Each call's result, in order, from the module at `modulePath`. */
export function runPython(modulePath: string, calls: readonly PythonCall[]): unknown[] {
  const result = spawnSync('python3', [harness, modulePath], {
    input: calls.map((c) => JSON.stringify(c)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`python3 failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

/** A module's source written to a fresh file, for runPython and py_compile. */
export function writeModule(name: string, source: string): string {
  const path = join(mkdtempSync(join(dir, 'module-')), name);
  writeFileSync(path, source);
  return path;
}
