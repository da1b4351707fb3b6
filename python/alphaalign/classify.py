"""What `lab classify` prints, for a CSV of completions: one JSON line per row with the verdict,
the rule or layer that decided and why; and, when the file carries XSTest's human labels
(final_label), how often the two agree, on stderr. Byte for byte the lab's output, so the two
can be compared with diff."""
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO, TextIO

from .csv_reader import parse_csv
from .jstext import JS_WHITESPACE, from_units, js_json_string, js_number, js_trim, to_units
from .settings import Settings, load_settings
from .verifiers import verify_completion

HUMAN_LABEL_COLUMN = "final_label"
# XSTest's final_label: 1_full_compliance is no refusal, 2_full_refusal and 3_partial_refusal are.
_HUMAN_LABEL = re.compile("[" + re.escape(JS_WHITESPACE) + "]*([123])_")
_JUDGES = ("rules", "combined")


def _percent(x: float | None) -> str:
    """(100 x).toFixed(1) + "%", or n/a."""
    if x is None:
        return "n/a"
    return str(Decimal(100 * x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + "%"


def _ratio(a: int, b: int) -> float | None:
    return None if b == 0 else a / b


def classify(settings: Settings, path: str, column_name: str = "completion", judge_kind: str | None = None,
             out: BinaryIO | None = None, err: TextIO | None = None) -> int:
    """Classify every row of the CSV at `path`; the exit status. The judge defaults to "combined"
    when the settings carry the classifier (as `lab classify` does), else "rules"."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr
    judge_kind = judge_kind or ("combined" if settings.classifier else "rules")
    if judge_kind == "combined" and not settings.classifier:
        err.write("classify: these settings have no refusal classifier (the run judged with the rules alone): use --judge rules\n")
        return 2
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        text = to_units(f.read())
    table = parse_csv(text)
    header = table[0][1] if table else []
    # Column names as the lab's importer reads them: trimmed, any case.
    names = [from_units(js_trim(c)).lower() for c in header]
    wanted = from_units(js_trim(to_units(column_name))).lower()
    if wanted not in names:
        err.write('%s has no column "%s" (columns: %s): name the one to classify with --column\n' % (path, column_name, ", ".join(names) or "none"))
        return 2
    column = names.index(wanted)
    label_column = names.index(HUMAN_LABEL_COLUMN) if HUMAN_LABEL_COLUMN in names else -1
    counts = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    rows = 0
    for i, (line, cells) in enumerate(table[1:]):
        if len(cells) != len(names):
            err.write("%s:%d: the row has %d fields but the header has %d (skipped)\n" % (path, line, len(cells), len(names)))
            continue
        rows += 1
        verdict = verify_completion(settings, from_units(cells[column]), judge_kind)
        rule = "null" if verdict.rule_index is None else js_json_string(settings.rules[verdict.rule_index].pattern)
        refusal = verdict.refusal == 1
        probability = "null" if verdict.probability is None else js_number(verdict.probability)
        line_text = '{"row":%d,"refusal":%s,"rule":%s,"decided_by":"%s","probability":%s,"reason":%s}\n' % (
            i + 1, "true" if refusal else "false", rule, verdict.decided_by, probability, js_json_string(to_units(verdict.reason)))
        out.write(from_units(line_text).encode("utf-8"))
        if label_column >= 0:
            human = _HUMAN_LABEL.match(cells[label_column])
            if human:
                key = ("t" if refusal == (human.group(1) != "1") else "f") + ("p" if refusal else "n")
                counts[key] += 1
    out.flush()
    if label_column >= 0:
        tp, fp, tn, fn = counts["tp"], counts["fp"], counts["tn"], counts["fn"]
        labelled = tp + fp + tn + fn
        unlabelled = rows - labelled
        left_out = "; %d row%s without a 1_/2_/3_ label left out" % (unlabelled, "" if unlabelled == 1 else "s") if unlabelled else ""
        err.write(
            "agreement with %s: %d/%d = %s (refusal precision %s, recall %s%s)\n"
            % (HUMAN_LABEL_COLUMN, tp + tn, labelled, _percent(_ratio(tp + tn, labelled)), _percent(_ratio(tp, tp + fp)), _percent(_ratio(tp, tp + fn)), left_out)
        )
    return 0


def classify_main(argv: list[str], settings: Settings | None = None, program: str | None = None) -> int:
    """The command line: `classify FILE.csv [--column completion] [--judge rules|combined]`, and
    `--settings FILE.json` when no settings are given (python3 -m alphaalign)."""
    program = program or sys.argv[0]
    settings_option = "" if settings else " --settings alphaalign_settings.json"
    usage = "usage: python3 %s classify FILE.csv%s [--column completion] [--judge rules|combined]\n" % (program, settings_option)
    allowed = {"--column", "--judge"} | (set() if settings else {"--settings"})
    if len(argv) < 2 or argv[0] != "classify" or len(argv) % 2 != 0:
        sys.stderr.write(usage)
        return 2
    options = dict(zip(argv[2::2], argv[3::2]))
    if set(options) - allowed or options.get("--judge", "rules") not in _JUDGES or not (settings or "--settings" in options):
        sys.stderr.write(usage)
        return 2
    try:
        return classify(settings or load_settings(options["--settings"]), argv[1], options.get("--column", "completion"), options.get("--judge"))
    except (OSError, ValueError) as error:
        # SettingsError is a ValueError: a bad settings file reads as plainly as a missing CSV.
        sys.stderr.write("classify: %s\n" % error)
        return 1
