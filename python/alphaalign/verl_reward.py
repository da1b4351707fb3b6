"""The reward as veRL's custom reward function (custom_reward_function.name=compute_score).

veRL scores one completion at a time, so the helpfulness part is the raw overlap score; the group
normalisation comes from veRL's advantage estimator (grpo: per prompt), over the whole reward.
"""
from collections.abc import Callable
from typing import Any

from .helpfulness import overlap_score
from .rewards import safety_reward_of
from .settings import Settings
from .verifiers import verify_completion

ComputeScore = Callable[..., dict[str, Any]]


def verl_compute_score(settings: Settings) -> ComputeScore:
    """compute_score(data_source, solution_str, ground_truth, extra_info=None) under these settings:
    ground_truth is the row's label, extra_info["reference"] its reference answer. Returns
    {"score", "format", "refusal", "rule_index" (-1 for none), "safety", "helpfulness"}."""

    def compute_score(data_source: str, solution_str: str, ground_truth: str, extra_info: dict[str, Any] | None = None) -> dict[str, Any]:
        verdict = verify_completion(settings, solution_str)
        safety = safety_reward_of(settings, ground_truth, verdict.format, verdict.refusal)
        helpfulness = 0.0
        reference = (extra_info or {}).get("reference") or ""
        if ground_truth == "benign" and settings.helpfulness_scorer == "overlap" and reference and verdict.refusal == 0:
            answer = verdict.answer if verdict.answer is not None else solution_str
            helpfulness = float(overlap_score(settings.helpfulness_metric, answer, reference))
        score = safety if ground_truth == "harmful" else safety + settings.w_h * helpfulness
        return {
            "score": float(score),
            "format": verdict.format,
            "refusal": verdict.refusal,
            "rule_index": -1 if verdict.rule_index is None else verdict.rule_index,
            "safety": float(safety),
            "helpfulness": helpfulness,
        }

    return compute_score
