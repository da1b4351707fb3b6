"""AlphaAlign Lab's verifiers and rewards in standard-library Python, for TRL and veRL.

The same verdicts and rewards as the lab, to the bit: the template, the format verifier V_f, the
refusal rules and the combined judge's learned classifier (V_r), the safety and helpfulness
rewards; their settings come from the JSON file the lab writes (alphaalign_settings.json in a
`lab export-run` folder).

    import alphaalign
    settings = alphaalign.load_settings("alphaalign_settings.json")
    trainer = GRPOTrainer(..., reward_funcs=[alphaalign.safety_reward(settings), alphaalign.helpfulness_reward(settings)])
    compute_score = alphaalign.verl_compute_score(settings)   # veRL's custom reward function

    python3 -m alphaalign classify FILE.csv --settings alphaalign_settings.json   # as `lab classify`
"""
from .classify import classify, classify_main
from .helpfulness import overlap_score
from .rewards import helpfulness_rewards, safety_reward_of
from .settings import Settings, SettingsError, load_settings, settings_from_dict
from .template import render_prompt
from .trl_rewards import format_rate, helpfulness_reward, over_refusal_rate_benign, refusal_rate_harmful, safety_reward
from .verifiers import CompletionVerdict, verify_completion
from .verl_reward import verl_compute_score

__version__ = "0.1.0"

__all__ = [
    "CompletionVerdict",
    "Settings",
    "SettingsError",
    "classify",
    "classify_main",
    "format_rate",
    "helpfulness_reward",
    "helpfulness_rewards",
    "load_settings",
    "over_refusal_rate_benign",
    "overlap_score",
    "refusal_rate_harmful",
    "render_prompt",
    "safety_reward",
    "safety_reward_of",
    "settings_from_dict",
    "verify_completion",
    "verl_compute_score",
]
