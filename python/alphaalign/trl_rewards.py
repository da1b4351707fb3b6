"""The rewards as TRL reward functions, for GRPOTrainer(reward_funcs=[...]) or RLOOTrainer.

TRL calls each as f(prompts=..., completions=..., completion_ids=..., **columns), every other
dataset column (here label, reference, type, source, id) a keyword list, and expects a list of
floats; None leaves a completion out of that function's logged mean. It logs each function as
rewards/<__name__>/mean, so each function keeps the name the lab's metric import reads back.

    settings = alphaalign.load_settings("alphaalign_settings.json")
    GRPOTrainer(..., reward_funcs=[alphaalign.safety_reward(settings), alphaalign.helpfulness_reward(settings)],
                args=GRPOConfig(..., reward_weights=[1, settings.w_h]))
"""
import json
from collections.abc import Callable, Sequence
from typing import Any

from .helpfulness import overlap_score
from .rewards import helpfulness_rewards, safety_reward_of
from .settings import Settings
from .verifiers import verify_completion

RewardFunction = Callable[..., list[float | None]]


def completion_text(completion: str | list[dict[str, Any]]) -> str:
    """A completion as text: a string (TRL's standard format) or assistant messages (its conversational one)."""
    if isinstance(completion, str):
        return completion
    return "".join(message["content"] for message in completion if message.get("role", "assistant") == "assistant")


def safety_reward(settings: Settings) -> RewardFunction:
    """R_s per completion; the dataset needs a `label` column, "harmful" or "benign"."""

    def safety_reward(prompts: Sequence[Any], completions: Sequence[Any], label: Sequence[str], **kwargs: Any) -> list[float | None]:
        out: list[float | None] = []
        for completion, row_label in zip(completions, label):
            verdict = verify_completion(settings, completion_text(completion))
            out.append(float(safety_reward_of(settings, row_label, verdict.format, verdict.refusal)))
        return out

    return safety_reward


def helpfulness_reward(settings: Settings) -> RewardFunction:
    """R_h per completion: benign rows with a `reference`, z-normalised over the completions of each
    prompt in the call (on one GPU, TRL's call holds every prompt's whole group); 0 elsewhere.
    Weigh it by w_h in GRPOConfig.reward_weights."""

    def helpfulness_reward(prompts: Sequence[Any], completions: Sequence[Any], label: Sequence[str], reference: Sequence[str] | None = None, **kwargs: Any) -> list[float | None]:
        out: list[float | None] = [0.0] * len(completions)
        if settings.helpfulness_scorer != "overlap" or reference is None:
            return out
        groups: dict[str, list[int]] = {}
        for i, prompt in enumerate(prompts):
            groups.setdefault(json.dumps(prompt, sort_keys=True), []).append(i)
        for indices in groups.values():
            first = indices[0]
            if label[first] != "benign" or not reference[first]:
                continue
            texts = [completion_text(completions[i]) for i in indices]
            verdicts = [verify_completion(settings, text) for text in texts]
            scores = [overlap_score(settings.helpfulness_metric, v.answer if v.answer is not None else text, reference[first]) for v, text in zip(verdicts, texts)]
            for i, h in zip(indices, helpfulness_rewards(settings, scores, [v.refusal for v in verdicts])):
                out[i] = float(h)
        return out

    return helpfulness_reward


# The lab's rates as reward functions to weigh at 0: TRL then logs them as rewards/<name>/mean. A
# row of the other label gives None, which TRL leaves out of the mean, so each is the lab's rate.

def format_rate(settings: Settings) -> RewardFunction:
    """V_f per completion: its mean is the lab's format_rate."""

    def format_rate(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        return [float(verify_completion(settings, completion_text(c)).format) for c in completions]

    return format_rate


def refusal_rate_harmful(settings: Settings) -> RewardFunction:
    """V_r of completions to harmful prompts: its mean is the lab's refusal_rate/harmful."""

    def refusal_rate_harmful(prompts: Sequence[Any], completions: Sequence[Any], label: Sequence[str], **kwargs: Any) -> list[float | None]:
        return [float(verify_completion(settings, completion_text(c)).refusal) if row_label == "harmful" else None for c, row_label in zip(completions, label)]

    return refusal_rate_harmful


def over_refusal_rate_benign(settings: Settings) -> RewardFunction:
    """V_r of completions to benign prompts: its mean is the lab's over_refusal_rate/benign."""

    def over_refusal_rate_benign(prompts: Sequence[Any], completions: Sequence[Any], label: Sequence[str], **kwargs: Any) -> list[float | None]:
        return [float(verify_completion(settings, completion_text(c)).refusal) if row_label == "benign" else None for c, row_label in zip(completions, label)]

    return over_refusal_rate_benign
