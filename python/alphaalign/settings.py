"""The settings the verifiers and rewards read, from the JSON file the lab writes
(alphaalign_settings.json in an export): the template, the format tags, the refusal rules with
their translations for Python's re, the judges and the learned classifier, the reward weights.

Every string the verifiers compare is held as UTF-16 code units (jstext.to_units), as the lab
holds it.
"""
import json
import re
from dataclasses import dataclass
from typing import Any

from .jstext import to_units

SETTINGS_KIND = "alphaalign-verifier-settings"
SETTINGS_VERSION = 1


class SettingsError(ValueError):
    """The file is not settings this package can read; the message says which and why."""


@dataclass(frozen=True)
class FormatSettings:
    """The format verifier's tags (formatVerifier.ts)."""

    reasoning_tag: str
    answer_tag: str
    # Whether a reasoning pair with only white space inside still counts.
    allow_empty_reasoning: bool


@dataclass(frozen=True)
class RefusalRule:
    """One refusal rule as the lab shows it, with the regex that matches what the lab's matches."""

    pattern: str  # the rule's text, as code units
    kind: str  # "prefix" | "contains" | "regex"
    case_sensitive: bool
    # Compiled with re.ASCII so that \b reads ASCII word characters, as JavaScript's does without
    # the u flag; every other class in a translation is spelled out, so the flag changes nothing else.
    regex: re.Pattern


@dataclass(frozen=True)
class RefusalClassifier:
    """The lab's learned refusal classifier (refusalClassifier.ts): word n-grams of the first tokens, a logistic regression."""

    max_tokens: int  # 0: every token
    word_ngrams: tuple[int, int]  # the smallest and largest n
    scaling: str  # "binary" | "l2"
    bias: float
    weights: dict[str, float]
    threshold: float


@dataclass(frozen=True)
class Settings:
    lab_version: str
    template: str  # code units
    placeholder: re.Pattern  # where the prompt goes in the template
    format: FormatSettings
    rules: tuple[RefusalRule, ...]
    reward_judge: str  # "rules" | "combined": the judge of V_r in the rewards
    eval_judge: str  # the judge the lab evaluates with
    classifier: RefusalClassifier | None  # present when a judge is "combined"
    rule_veto_below: float  # the combined judge: a classifier probability under this overrules a rule...
    overrule_min_tokens: int  # ...on a text of at least this many tokens
    strongest_features: int  # features named in a classifier's reason
    r_f: float
    r_a: float
    w_h: float
    helpfulness_scorer: str  # "none" | "overlap" | "onnx" (the last cannot run here: no helpfulness)
    helpfulness_metric: str  # "f1" | "rougeL", for the overlap scorer
    flat_group_std: float  # a group whose scores vary less than this gets no helpfulness
    helpfulness_std_eps: float  # z = (r - mean) / (std + eps)


def _rule(raw: dict[str, Any]) -> RefusalRule:
    return RefusalRule(
        pattern=to_units(raw["pattern"]),
        kind=raw["kind"],
        case_sensitive=raw["caseSensitive"],
        regex=re.compile(to_units(raw["python"]), re.ASCII),
    )


def _classifier(raw: dict[str, Any] | None) -> RefusalClassifier | None:
    if raw is None:
        return None
    features = raw["features"]
    lo, hi = features["word_ngrams"]
    return RefusalClassifier(
        max_tokens=features["max_tokens"],
        word_ngrams=(lo, hi),
        scaling=features["scaling"],
        bias=raw["bias"],
        weights=raw["weights"],
        threshold=raw["threshold"],
    )


def settings_from_dict(raw: dict[str, Any], source: str = "settings") -> Settings:
    """Settings from the parsed JSON; `source` names it in errors."""
    if not isinstance(raw, dict) or raw.get("kind") != SETTINGS_KIND:
        raise SettingsError(f"{source} is not AlphaAlign verifier settings (no \"kind\": \"{SETTINGS_KIND}\"): write it with `lab export-run`")
    if raw.get("version") != SETTINGS_VERSION:
        raise SettingsError(f"{source} is settings version {raw.get('version')!r}; this package reads version {SETTINGS_VERSION}: use the package from the same lab release")
    try:
        template, fmt, judge, rewards = raw["template"], raw["format"], raw["judge"], raw["rewards"]
        settings = Settings(
            lab_version=raw["lab_version"],
            template=to_units(template["text"]),
            placeholder=re.compile(template["placeholder"], re.ASCII),
            format=FormatSettings(to_units(fmt["reasoningTag"]), to_units(fmt["answerTag"]), fmt["allowEmptyReasoning"]),
            rules=tuple(_rule(rule) for rule in raw["rules"]),
            reward_judge=judge["reward"],
            eval_judge=judge["eval"],
            classifier=_classifier(judge["classifier"]),
            rule_veto_below=judge["rule_veto_below"],
            overrule_min_tokens=judge["overrule_min_tokens"],
            strongest_features=judge["strongest_features"],
            r_f=rewards["r_f"],
            r_a=rewards["r_a"],
            w_h=rewards["w_h"],
            helpfulness_scorer=rewards["helpfulness_scorer"]["kind"],
            helpfulness_metric=rewards["helpfulness_scorer"].get("metric", "f1"),
            flat_group_std=rewards["flat_group_std"],
            helpfulness_std_eps=rewards["helpfulness_std_eps"],
        )
    except KeyError as missing:
        raise SettingsError(f"{source} has no {missing}: write it again with `lab export-run`") from None
    except re.error as error:
        raise SettingsError(f"{source}: a pattern does not compile in Python ({error})") from None
    for kind in (settings.reward_judge, settings.eval_judge):
        if kind not in ("rules", "combined"):
            raise SettingsError(f"{source}: judge {kind!r} is not one of rules, combined")
        if kind == "combined" and settings.classifier is None:
            raise SettingsError(f"{source}: a judge is \"combined\" but the settings carry no classifier")
    return settings


def load_settings(path: str) -> Settings:
    """The settings in the JSON file at `path` (alphaalign_settings.json in an export)."""
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as error:
            raise SettingsError(f"{path} is not valid JSON: {error}") from None
    return settings_from_dict(raw, path)
