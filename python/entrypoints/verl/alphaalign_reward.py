"""AlphaAlign's reward for veRL (custom_reward_function.name=compute_score), under the settings of
the lab run this folder was exported from (alphaalign_settings.json beside this file), from the
alphaalign package beside it.

compute_score(data_source, solution_str, ground_truth, extra_info=None) returns
{"score", "format", "refusal", "rule_index", "safety", "helpfulness"}. To compare verdicts with
the lab on a CSV of completions:

    python3 alphaalign_reward.py classify FILE.csv [--column completion] [--judge rules|combined]

prints what `lab classify --in FILE.csv` prints, row for row.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# veRL loads this file by its path, so its folder is not on sys.path; and the package copied
# beside it is the one its settings were written for, ahead of any other installed copy.
sys.path.insert(0, HERE)

import alphaalign  # noqa: E402

SETTINGS = alphaalign.load_settings(os.path.join(HERE, "alphaalign_settings.json"))

compute_score = alphaalign.verl_compute_score(SETTINGS)

if __name__ == "__main__":
    sys.exit(alphaalign.classify_main(sys.argv[1:], SETTINGS))
