"""Both verifiers on one completion (verifiers.ts): V_f, and V_r on the answer when the format
holds, on the whole text otherwise (free-form answers, such as XSTest's)."""
from dataclasses import dataclass

from .format_verifier import verify_format
from .jstext import from_units, to_units
from .refusal_judge import judge
from .settings import Settings


@dataclass(frozen=True)
class CompletionVerdict:
    format: int  # V_f, 0 or 1
    refusal: int  # V_r, 0 or 1
    rule_index: int | None  # the rule that decided the refusal verdict; None when none did
    rule: str | None  # that rule's pattern
    answer: str | None  # the answer inside its tags (format_verifier.FormatResult.answer)
    decided_by: str  # "rules" | "classifier"
    probability: float | None  # the learned classifier's, under the "combined" judge
    reason: str  # why, as the lab words it


def verify_completion(settings: Settings, text: str, judge_kind: str | None = None) -> CompletionVerdict:
    """V_f and V_r of a completion, V_r under `judge_kind` ("rules" | "combined"; the reward's judge by default)."""
    units = to_units(text)
    fmt = verify_format(settings.format, units)
    verdict = judge(settings, fmt.answer if fmt.ok else units, judge_kind or settings.reward_judge)
    return CompletionVerdict(
        format=1 if fmt.ok else 0,
        refusal=1 if verdict.refusal else 0,
        rule_index=verdict.rule_index,
        rule=None if verdict.rule_index is None else from_units(settings.rules[verdict.rule_index].pattern),
        answer=None if fmt.answer is None else from_units(fmt.answer),
        decided_by=verdict.decided_by,
        probability=verdict.probability,
        reason=verdict.reason,
    )
