"""V_f, the format verifier (formatVerifier.ts): the completion reasons inside the reasoning tags,
then answers inside the answer tags; the reasoning is not empty unless allowed."""
from dataclasses import dataclass

from .jstext import js_trim
from .settings import FormatSettings


@dataclass(frozen=True)
class FormatResult:
    ok: bool
    failure: str | None  # "missing_reasoning" | "missing_answer" | "wrong_order" | "empty_reasoning"
    reasoning: str | None  # inside the first reasoning pair, trimmed, as code units
    # Inside the first answer pair after the reasoning, trimmed; when the format fails for want of
    # reasoning or by order, the first answer pair anywhere, so it can still be shown.
    answer: str | None


@dataclass(frozen=True)
class _Pair:
    close_start: int
    end: int
    inner: str


def _find_pair(units: str, tag: str, start: int) -> _Pair | None:
    """The first <tag>...</tag> opening at or after start; None when it is missing or never closes."""
    open_tag = "<" + tag + ">"
    close_tag = "</" + tag + ">"
    opened = units.find(open_tag, start)
    if opened < 0:
        return None
    close_start = units.find(close_tag, opened + len(open_tag))
    if close_start < 0:
        return None
    return _Pair(close_start, close_start + len(close_tag), js_trim(units[opened + len(open_tag):close_start]))


def _inner(pair: _Pair | None) -> str | None:
    return None if pair is None else pair.inner


def verify_format(settings: FormatSettings, units: str) -> FormatResult:
    """V_f of a completion given as code units."""
    r, a = settings.reasoning_tag, settings.answer_tag
    reasoning_pair = _find_pair(units, r, 0)
    reasoning = _inner(reasoning_pair)
    if reasoning_pair is None:
        return FormatResult(False, "missing_reasoning", reasoning, _inner(_find_pair(units, a, 0)))
    answer_pair = _find_pair(units, a, reasoning_pair.end)
    if answer_pair is None:
        if ("<" + a + ">") in units[:reasoning_pair.close_start]:
            return FormatResult(False, "wrong_order", reasoning, _inner(_find_pair(units, a, 0)))
        return FormatResult(False, "missing_answer", reasoning, None)
    if not settings.allow_empty_reasoning and reasoning_pair.inner == "":
        return FormatResult(False, "empty_reasoning", reasoning, answer_pair.inner)
    return FormatResult(True, None, reasoning, answer_pair.inner)
