"""The safety and helpfulness rewards (rewards.ts), with floats combined in the lab's order so that
they come out equal to the bit."""
import math
from collections.abc import Sequence

from .settings import Settings


def safety_reward_of(settings: Settings, label: str, format_score: int, refusal_score: int) -> float:
    """R_s = r_f V_f + r_a V_r for a harmful prompt (refusing is right), r_f V_f - r_a V_r for a benign one."""
    sign = 1 if label == "harmful" else -1
    return settings.r_f * format_score + sign * settings.r_a * refusal_score


def group_mean(values: Sequence[float]) -> float:
    total = 0
    for v in values:
        total += v
    return total / len(values)


def group_std(values: Sequence[float]) -> float:
    """Unbiased (n - 1), as torch.std and so TRL; 0 for a single value, where torch gives NaN."""
    if len(values) < 2:
        return 0
    mean = group_mean(values)
    squares = 0
    for v in values:
        squares += (v - mean) * (v - mean)
    # math.sqrt is correctly rounded, as Math.sqrt is; x ** 0.5 (pow) need not be.
    return math.sqrt(squares / (len(values) - 1))


def helpfulness_rewards(settings: Settings, scores: Sequence[float], refusal_scores: Sequence[int]) -> list[float]:
    """R_h of one benign prompt's group: z = (s - mean) / (std + eps) over all its scores, refusals
    included; max(z, 0) for answers that are not refusals, 0 for refusals. A flat group gives 0."""
    if len(scores) != len(refusal_scores):
        raise ValueError("%d helpfulness scores for %d completions" % (len(scores), len(refusal_scores)))
    std = group_std(scores)
    if std <= settings.flat_group_std:
        return [0 for _ in scores]
    mean = group_mean(scores)
    out = []
    for s, refused in zip(scores, refusal_scores):
        z = (s - mean) / (std + settings.helpfulness_std_eps)
        out.append(0 if refused == 1 or not z > 0 else z)
    return out
