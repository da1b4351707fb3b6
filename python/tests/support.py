"""What the package's tests share: the package from this checkout, ahead of any installed copy; the
lab's fixtures (fixtures/, written by the lab: scripts/write-python-fixtures.ts); the shared data.

Run from the lab's root: python3 -m unittest discover -s python/tests
"""
import json
import os
import sys

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PYTHON_DIR)
sys.path.insert(0, PYTHON_DIR)

FIXTURES_DIR = os.path.join(PYTHON_DIR, "tests", "fixtures")
PARITY_DIR = os.path.join(FIXTURES_DIR, "parity")
# The shared XSTest completions lie beside the checkout, as the lab's own tests read them.
XSTEST_DIR = os.path.join(REPO_DIR, "..", "shared", "datasets", "xstest_completions")
XSTEST_FILES = ["gpt4.csv", "llama2new.csv", "llama2orig.csv"]
ROLLOUTS_FILE = os.path.join(REPO_DIR, "tests", "export", "fixtures", "demo-rollouts.jsonl")
PARITY_CASES = ["shipped-rules", "edge-rules", "classifier"]

import alphaalign  # noqa: E402  (after the path above, so this checkout's package is the one tested)
from alphaalign.csv_reader import parse_csv  # noqa: E402


def parity_settings(case: str) -> alphaalign.Settings:
    """The settings file an export writes for the parity case `case`."""
    return alphaalign.load_settings(os.path.join(PARITY_DIR, case + ".settings.json"))


def read_jsonl(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def lab_verdicts(case: str) -> list[dict]:
    """The lab's verdict and safety reward on every sample under the case's settings, one dict each."""
    header, *rows = read_jsonl(os.path.join(PARITY_DIR, case + ".verdicts.jsonl"))
    return [dict(zip(header["columns"], row)) for row in rows]


def read_xstest(name: str) -> tuple[list[str], list[list[str]]]:
    """A shared XSTest file's column names and data rows, as the lab reads them."""
    with open(os.path.join(XSTEST_DIR, name), encoding="utf-8", errors="replace", newline="") as f:
        (_, header), *rows = parse_csv(f.read())
    return header, [cells for _, cells in rows]


def sample_texts() -> dict[str, str]:
    """Every parity sample's text by its id: "gpt4.csv:12" (data row), "demo-rollouts.jsonl:3" (line), "crafted:1"."""
    texts = {}
    for name in XSTEST_FILES:
        header, rows = read_xstest(name)
        completion = header.index("completion")
        texts.update(("%s:%d" % (name, i + 1), cells[completion]) for i, cells in enumerate(rows))
    texts.update(("demo-rollouts.jsonl:%d" % (i + 1), row["completion"]) for i, row in enumerate(read_jsonl(ROLLOUTS_FILE)))
    texts.update((row["id"], row["text"]) for row in read_jsonl(os.path.join(PARITY_DIR, "crafted.jsonl")))
    return texts
