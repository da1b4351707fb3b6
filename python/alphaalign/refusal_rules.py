"""V_r by the rules (refusalVerifier.ts): the first rule in order that matches decides, and is
reported so a person sees why an answer counted as a refusal."""
from collections.abc import Sequence

from .settings import RefusalRule

# Typographic apostrophes read as ', so "I can’t" meets the rule "I can't" (models write both).
APOSTROPHES = {0x2018: "'", 0x2019: "'", 0x02BC: "'"}


def first_matching_rule(rules: Sequence[RefusalRule], units: str) -> int | None:
    """The index of the first rule that matches the text (code units), or None."""
    normalised = units.translate(APOSTROPHES)
    for index, rule in enumerate(rules):
        # An empty rule matches nothing: a rule the user has not filled in yet.
        if rule.pattern != "" and rule.regex.search(normalised):
            return index
    return None
