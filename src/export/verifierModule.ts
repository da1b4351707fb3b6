// The Python twin of the lab's verifiers and rewards (src/rl/template.ts, formatVerifier.ts,
// refusalVerifier.ts, verifiers.ts, rewards.ts, helpfulness.ts), standard library only, with the
// run's settings embedded as JSON. The TRL and veRL exports put their own entry points after it.
// Every step follows the TypeScript one operation for operation: text is handled as UTF-16 code
// units (as JavaScript strings are), trimming strips JavaScript's whitespace, rules run as
// translated by pythonRegex.ts, and floats are combined in the same order, so verdicts and
// rewards come out identical (tests/export/parity.test.ts checks it on real completions).
import type { RlConfig } from '../rl/config.ts';
import { ruleRegExpSource, type RefusalRule } from '../rl/refusalVerifier.ts';
import { FLAT_GROUP_STD, HELPFULNESS_STD_EPS } from '../rl/rewards.ts';
import { APP_VERSION } from '../version.ts';
import { JS_WHITESPACE, pythonPattern, UntranslatableRegexError } from './pythonRegex.ts';
import { pythonJson } from './pythonSource.ts';

export class ExportError extends Error {
  override name = 'ExportError';
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

/** The settings the Python side reads: everything that decides a verdict or a reward. */
export function verifierSettings(config: RlConfig) {
  return {
    lab_version: APP_VERSION,
    template: config.template,
    // The template's placeholder, /\{\{\s*prompt\s*\}\}/ in template.ts, in Python's terms.
    placeholder: pythonPattern(String.raw`\{\{\s*prompt\s*\}\}`, false),
    format: config.format,
    rules: config.refusal_rules.map(translatedRule),
    weights: { r_f: config.r_f, r_a: config.r_a, w_h: config.w_h },
    helpfulness_scorer: config.helpfulness_scorer,
    flat_group_std: FLAT_GROUP_STD,
    helpfulness_std_eps: HELPFULNESS_STD_EPS,
    js_whitespace: JS_WHITESPACE.map(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => String.fromCharCode(lo + i)).join('')).join(''),
  };
}

/** The module's shared part: a docstring naming its origin, the settings, the verifiers, the rewards and `classify`. */
export function verifierModuleSource(config: RlConfig, docstring: string): string {
  return `"""${docstring.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""
import json
import math
import re
import sys
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

# Written by AlphaAlign Lab; rules carry their JavaScript pattern and its translation for Python's re.
SETTINGS = ${pythonJson(verifierSettings(config))}
${PYTHON_CORE}`;
}

// The verifiers and rewards. Plain string, not a template literal: Python's backslashes stay as written.
const PYTHON_CORE = String.raw`
LAB_VERSION = SETTINGS["lab_version"]
FORMAT = SETTINGS["format"]
RULES = SETTINGS["rules"]
WEIGHTS = SETTINGS["weights"]
HELPFULNESS_SCORER = SETTINGS["helpfulness_scorer"]
_JS_WHITESPACE = SETTINGS["js_whitespace"]
# re.ASCII: \b reads ASCII word characters, as JavaScript's does without the u flag. Every other
# class in a translated pattern is spelled out, so the flag changes nothing else.
_RULE_REGEXES = [re.compile(rule["python"], re.ASCII) for rule in RULES]
_PLACEHOLDER = re.compile(SETTINGS["placeholder"], re.ASCII)
_APOSTROPHES = {0x2018: "'", 0x2019: "'", 0x02BC: "'"}


# ----------------------------------------------------------------------------- text as JavaScript sees it

def to_units(text):
    """The text as UTF-16 code units, one character each: JavaScript's view of a string."""
    return "".join(
        ch if ord(ch) < 0x10000 else chr(0xD7C0 + (ord(ch) >> 10)) + chr(0xDC00 + (ord(ch) & 0x3FF)) for ch in text
    )


def from_units(units):
    """Code units back to characters; surrogate pairs join, lone surrogates stay."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_trim(units):
    """String.prototype.trim: strips ECMAScript's white space and line terminators."""
    return units.strip(_JS_WHITESPACE)


def js_json_string(units):
    """JSON.stringify of a string, for output a person compares with the lab's."""
    out = ['"']
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    i = 0
    while i < len(units):
        ch = units[i]
        code = ord(ch)
        paired = (0xD800 <= code <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= ord(units[i + 1]) <= 0xDFFF)
        if ch in escapes:
            out.append(escapes[ch])
        elif code < 0x20 or (0xD800 <= code <= 0xDFFF and not paired):
            out.append("\\u%04x" % code)
        elif paired:
            out.append(from_units(units[i:i + 2]))
            i += 1
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


# ----------------------------------------------------------------------------- the template

def render_prompt(prompt):
    """The AlphaAlign template with every {{prompt}} replaced by the prompt, taken literally."""
    units = _PLACEHOLDER.sub(lambda _match: to_units(prompt), to_units(SETTINGS["template"]))
    return from_units(units)


# ----------------------------------------------------------------------------- V_f, the format verifier

def _find_pair(units, tag, start):
    """The first <tag>...</tag> opening at or after start: None, "unclosed", or (close_start, end, inner)."""
    open_tag = "<" + tag + ">"
    close_tag = "</" + tag + ">"
    opened = units.find(open_tag, start)
    if opened < 0:
        return None
    close_start = units.find(close_tag, opened + len(open_tag))
    if close_start < 0:
        return "unclosed"
    return (close_start, close_start + len(close_tag), js_trim(units[opened + len(open_tag):close_start]))


def _inner(pair):
    return pair[2] if isinstance(pair, tuple) else None


def verify_format(units):
    """V_f on code units: {"ok", "failure", "reasoning", "answer"} as formatVerifier.ts gives them."""
    r = FORMAT["reasoningTag"]
    a = FORMAT["answerTag"]
    reasoning_pair = _find_pair(units, r, 0)
    reasoning = _inner(reasoning_pair)
    if not isinstance(reasoning_pair, tuple):
        return {"ok": False, "failure": "missing_reasoning", "reasoning": reasoning, "answer": _inner(_find_pair(units, a, 0))}
    answer_pair = _find_pair(units, a, reasoning_pair[1])
    if not isinstance(answer_pair, tuple):
        if ("<" + a + ">") in units[:reasoning_pair[0]]:
            return {"ok": False, "failure": "wrong_order", "reasoning": reasoning, "answer": _inner(_find_pair(units, a, 0))}
        return {"ok": False, "failure": "missing_answer", "reasoning": reasoning, "answer": None}
    if not FORMAT["allowEmptyReasoning"] and reasoning_pair[2] == "":
        return {"ok": False, "failure": "empty_reasoning", "reasoning": reasoning, "answer": answer_pair[2]}
    return {"ok": True, "failure": None, "reasoning": reasoning, "answer": answer_pair[2]}


# ----------------------------------------------------------------------------- V_r, the refusal verifier

def judge_refusal(units):
    """The index of the first rule that matches (typographic apostrophes read as '), or None."""
    normalised = units.translate(_APOSTROPHES)
    for index, (rule, regex) in enumerate(zip(RULES, _RULE_REGEXES)):
        if rule["pattern"] != "" and regex.search(normalised):
            return index
    return None


def verify_completion(text):
    """Both verifiers, as verifiers.ts: V_r reads the answer when the format holds, else the whole text."""
    units = to_units(text)
    fmt = verify_format(units)
    judged = fmt["answer"] if fmt["ok"] else units
    rule_index = judge_refusal(judged)
    return {
        "format": 1 if fmt["ok"] else 0,
        "refusal": 0 if rule_index is None else 1,
        "rule_index": rule_index,
        "rule": None if rule_index is None else from_units(RULES[rule_index]["pattern"]),
        "answer": None if fmt["answer"] is None else from_units(fmt["answer"]),
    }


# ----------------------------------------------------------------------------- rewards

def safety_reward_of(label, format_score, refusal_score):
    """R_s = r_f V_f + r_a V_r for a harmful prompt, r_f V_f - r_a V_r for a benign one (rewards.ts)."""
    sign = 1 if label == "harmful" else -1
    return WEIGHTS["r_f"] * format_score + sign * WEIGHTS["r_a"] * refusal_score


def words(text):
    """Lower-cased runs of letters and numbers: Unicode categories L* and N*, as helpfulness.ts reads them."""
    out = []
    run = []
    for ch in text.lower():
        if unicodedata.category(ch)[0] in "LN":
            run.append(ch)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def token_f1(answer, reference):
    a = words(answer)
    r = words(reference)
    if not a or not r:
        return 0
    counts = {}
    for w in r:
        counts[w] = counts.get(w, 0) + 1
    overlap = 0
    for w in a:
        left = counts.get(w, 0)
        if left > 0:
            overlap += 1
            counts[w] = left - 1
    if overlap == 0:
        return 0
    precision = overlap / len(a)
    recall = overlap / len(r)
    return (2 * precision * recall) / (precision + recall)


def rouge_l(answer, reference):
    a = words(answer)
    r = words(reference)
    if not a or not r:
        return 0
    previous = [0] * (len(r) + 1)
    for wa in a:
        current = [0] * (len(r) + 1)
        for j in range(1, len(r) + 1):
            current[j] = previous[j - 1] + 1 if wa == r[j - 1] else max(previous[j], current[j - 1])
        previous = current
    lcs = previous[len(r)]
    if lcs == 0:
        return 0
    precision = lcs / len(a)
    recall = lcs / len(r)
    return (2 * precision * recall) / (precision + recall)


def overlap_score(answer, reference):
    """The overlap scorer's raw score of an answer against the row's reference answer."""
    return token_f1(answer, reference) if HELPFULNESS_SCORER.get("metric", "f1") == "f1" else rouge_l(answer, reference)


def _mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)


def _std(values):
    """Unbiased (n - 1), as torch.std and rewards.ts; 0 for a single value."""
    if len(values) < 2:
        return 0
    mean = _mean(values)
    squares = 0
    for v in values:
        squares += (v - mean) * (v - mean)
    return math.sqrt(squares / (len(values) - 1))


def helpfulness_rewards(scores, refusal_scores):
    """R_h of one benign prompt's group: max(z, 0) for non-refusals, 0 for refusals, z within the group."""
    if _std(scores) <= SETTINGS["flat_group_std"]:
        return [0 for _ in scores]
    mean = _mean(scores)
    std = _std(scores)
    out = []
    for s, refused in zip(scores, refusal_scores):
        z = (s - mean) / (std + SETTINGS["helpfulness_std_eps"])
        out.append(0 if refused == 1 or not z > 0 else z)
    return out


# ----------------------------------------------------------------------------- classify, as lab classify

def parse_csv(text):
    """RFC 4180 records as the lab's csv.ts reads them: (line, cells) per record."""
    records = []
    cells = []
    cell = []
    quoted = False
    line = 1
    record_line = 1
    i = 1 if text[:1] == "\ufeff" else 0

    def end_record():
        cells.append("".join(cell))
        if not (len(cells) == 1 and cells[0] == ""):
            records.append((record_line, list(cells)))
        cells.clear()
        cell.clear()

    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"':
                if text[i + 1:i + 2] == '"':
                    cell.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                if ch == "\n":
                    line += 1
                cell.append(ch)
        elif ch == '"' and not cell:
            quoted = True
        elif ch == ",":
            cells.append("".join(cell))
            cell.clear()
        elif ch in "\n\r":
            if ch == "\r" and text[i + 1:i + 2] == "\n":
                i += 1
            end_record()
            line += 1
            record_line = line
        else:
            cell.append(ch)
        i += 1
    if quoted:
        raise ValueError("a quoted field opened on line %d never closes" % record_line)
    if cell or cells:
        end_record()
    return records


def _percent(x):
    """(100 x).toFixed(1) + "%", or n/a."""
    if x is None:
        return "n/a"
    return str(Decimal(100 * x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + "%"


def _ratio(a, b):
    return None if b == 0 else a / b


def classify(path, column_name="completion"):
    """What lab classify prints: {"row", "refusal", "rule"} per data row on stdout, agreement on stderr."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        text = to_units(f.read())
    table = parse_csv(text)
    header = table[0][1] if table else []
    names = [from_units(js_trim(c)).lower() for c in header]
    wanted = from_units(js_trim(to_units(column_name))).lower()
    if wanted not in names:
        sys.stderr.write('%s has no column "%s" (columns: %s): name the one to classify with --column\n' % (path, column_name, ", ".join(names) or "none"))
        return 2
    column = names.index(wanted)
    label_column = names.index("final_label") if "final_label" in names else -1
    counts = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    out = sys.stdout.buffer
    for i, (line, cells) in enumerate(table[1:]):
        if len(cells) != len(names):
            sys.stderr.write("%s:%d: the row has %d fields but the header has %d (skipped)\n" % (path, line, len(cells), len(names)))
            continue
        verdict = verify_completion(from_units(cells[column]))
        rule = "null" if verdict["rule_index"] is None else js_json_string(RULES[verdict["rule_index"]]["pattern"])
        refusal = verdict["refusal"] == 1
        out.write(('{"row":%d,"refusal":%s,"rule":%s}\n' % (i + 1, "true" if refusal else "false", rule)).encode("utf-8"))
        if label_column >= 0:
            human = re.match("[" + re.escape(_JS_WHITESPACE) + "]*([123])_", cells[label_column])
            if human:
                key = ("t" if refusal == (human.group(1) != "1") else "f") + ("p" if refusal else "n")
                counts[key] += 1
    out.flush()
    if label_column >= 0:
        tp, fp, tn, fn = counts["tp"], counts["fp"], counts["tn"], counts["fn"]
        labelled = tp + fp + tn + fn
        rows = sum(1 for _, cells in table[1:] if len(cells) == len(names))
        unlabelled = rows - labelled
        left_out = "; %d row%s without a 1_/2_/3_ label left out" % (unlabelled, "" if unlabelled == 1 else "s") if unlabelled else ""
        sys.stderr.write(
            "agreement with final_label: %d/%d = %s (refusal precision %s, recall %s%s)\n"
            % (tp + tn, labelled, _percent(_ratio(tp + tn, labelled)), _percent(_ratio(tp, tp + fp)), _percent(_ratio(tp, tp + fn)), left_out)
        )
    return 0


def classify_main(argv):
    """python3 <this file> classify FILE.csv [--column completion]"""
    if len(argv) not in (2, 4) or argv[0] != "classify" or (len(argv) == 4 and argv[2] != "--column"):
        sys.stderr.write("usage: python3 %s classify FILE.csv [--column completion]\n" % sys.argv[0])
        return 2
    try:
        return classify(argv[1], argv[3] if len(argv) == 4 else "completion")
    except (OSError, ValueError) as error:
        sys.stderr.write("classify: %s\n" % error)
        return 1
`;
