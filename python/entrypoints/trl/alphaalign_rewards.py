"""AlphaAlign's rewards for TRL, under the settings of the lab run this folder was exported from
(alphaalign_settings.json beside this file), from the alphaalign package beside it.

train_grpo.py imports the reward functions; to compare verdicts with the lab on a CSV of completions:

    python3 alphaalign_rewards.py classify FILE.csv [--column completion] [--judge rules|combined]

prints what `lab classify --in FILE.csv` prints, row for row.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The package copied beside this file is the one its settings were written for; it goes before
# any other installed copy.
sys.path.insert(0, HERE)

import alphaalign  # noqa: E402

SETTINGS = alphaalign.load_settings(os.path.join(HERE, "alphaalign_settings.json"))

safety_reward = alphaalign.safety_reward(SETTINGS)
helpfulness_reward = alphaalign.helpfulness_reward(SETTINGS)
format_rate = alphaalign.format_rate(SETTINGS)
refusal_rate_harmful = alphaalign.refusal_rate_harmful(SETTINGS)
over_refusal_rate_benign = alphaalign.over_refusal_rate_benign(SETTINGS)


def render_prompt(prompt):
    """The run's template applied to a new prompt, as train.jsonl has it."""
    return alphaalign.render_prompt(SETTINGS, prompt)


if __name__ == "__main__":
    sys.exit(alphaalign.classify_main(sys.argv[1:], SETTINGS))
