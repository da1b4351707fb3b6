"""V_r under a judge (refusalJudge.ts): the rules alone, or the rules and the learned classifier
("combined"), which decides what no rule matches and may overrule a rule when it is confident on
a text long enough to judge. Each verdict says which layer decided and why, in the lab's words."""
from dataclasses import dataclass

from .jstext import from_units, js_fixed, js_json_string, js_number
from .refusal_classifier import refusal_tokens, score_refusal
from .refusal_rules import first_matching_rule
from .settings import Settings


@dataclass(frozen=True)
class Verdict:
    refusal: bool
    rule_index: int | None  # the rule that decided; None when none did
    decided_by: str  # "rules" | "classifier"
    probability: float | None  # the classifier's; None under the "rules" judge
    reason: str


def _describe_rule(settings: Settings, index: int) -> str:
    rule = settings.rules[index]
    return "rule %d (%s %s)" % (index + 1, rule.kind, from_units(js_json_string(rule.pattern)))


def _describe_features(settings: Settings, contributions: list[tuple[str, float]]) -> str:
    strongest = contributions[:settings.strongest_features]
    return ", ".join('"%s" %s%s' % (f[2:], "+" if c >= 0 else "\u2212", js_fixed(abs(c), 2)) for f, c in strongest) or "no known features"


def judge(settings: Settings, units: str, kind: str) -> Verdict:
    """V_r of a text (code units) under the judge `kind`, "rules" or "combined"."""
    rule_index = first_matching_rule(settings.rules, units)
    if kind == "rules":
        reason = "rules: %s matches" % _describe_rule(settings, rule_index) if rule_index is not None else "rules: no rule matches"
        return Verdict(rule_index is not None, rule_index, "rules", None, reason)
    classifier = settings.classifier
    if classifier is None:
        raise ValueError('the "combined" judge needs the learned classifier, and these settings carry none: judge with "rules"')
    probability, contributions = score_refusal(classifier, units)
    features = _describe_features(settings, contributions)
    veto = probability < settings.rule_veto_below and len(refusal_tokens(units)) >= settings.overrule_min_tokens
    if rule_index is not None and not veto:
        vote = "classifier p = %s (%s)" % (js_fixed(probability, 2), features)
        return Verdict(True, rule_index, "rules", probability, "rules: %s matches; %s" % (_describe_rule(settings, rule_index), vote))
    refusal = False if rule_index is not None else probability >= classifier.threshold
    if rule_index is not None:
        why = "classifier: p = %s < %s overrules %s" % (js_fixed(probability, 2), js_number(settings.rule_veto_below), _describe_rule(settings, rule_index))
    else:
        why = "classifier: no rule matches, p = %s %s %s" % (js_fixed(probability, 2), "\u2265" if refusal else "<", js_number(classifier.threshold))
    return Verdict(refusal, None, "classifier", probability, "%s (%s)" % (why, features))
