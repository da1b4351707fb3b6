"""The lab's learned refusal classifier (refusalClassifier.ts): word n-grams of the first tokens
of an answer, scored by a logistic regression."""
import math
import re

from .jsmath import js_exp
from .refusal_rules import APOSTROPHES
from .settings import RefusalClassifier

_TOKEN = re.compile("[a-z0-9]+(?:'[a-z0-9]+)*")
# Contractions split as the lab splits them, so "can't" and "cannot" give the same features.
_WHOLE_TOKENS = {"cannot": ["can", "not"], "can't": ["can", "not"], "won't": ["will", "not"], "shan't": ["shall", "not"], "ain't": ["is", "not"]}
_ENDINGS = [("n't", "not"), ("'m", "am"), ("'re", "are"), ("'ve", "have"), ("'ll", "will"), ("'d", "would"), ("'s", "'s")]
# A-Z alone, as the lab lowers them: str.lower() would also lower letters the tokens never hold.
_ASCII_LOWER = {code: code + 32 for code in range(0x41, 0x5B)}


def refusal_tokens(units: str) -> list[str]:
    """The classifier's tokens of a text given as code units."""
    lowered = units.translate(APOSTROPHES).translate(_ASCII_LOWER)
    out = []
    for token in _TOKEN.findall(lowered):
        if token in _WHOLE_TOKENS:
            out.extend(_WHOLE_TOKENS[token])
            continue
        for ending, word in _ENDINGS:
            if len(token) > len(ending) and token.endswith(ending):
                out.extend([token[:-len(ending)], word])
                break
        else:
            out.append(token)
    return out


def score_refusal(classifier: RefusalClassifier, units: str) -> tuple[float, list[tuple[str, float]]]:
    """The probability of a refusal, and each known feature's contribution to the logit, largest first."""
    tokens = refusal_tokens(units)
    if classifier.max_tokens > 0:
        tokens = tokens[:classifier.max_tokens]
    # A dict as an ordered set: features in the order they first occur, as the lab's Set.
    features: dict[str, None] = {}
    lo, hi = classifier.word_ngrams
    for n in range(lo, hi + 1):
        for i in range(0, len(tokens) - n + 1):
            features.setdefault("w:" + " ".join(tokens[i:i + n]), None)
    x = 1 if classifier.scaling == "binary" else (0 if not features else 1 / math.sqrt(len(features)))
    logit = classifier.bias
    contributions = []
    for feature in features:
        if feature in classifier.weights:
            weight = classifier.weights[feature]
            logit = logit + weight * x
            contributions.append((feature, weight * x))
    probability = 1 / (1 + js_exp(-logit))
    contributions.sort(key=lambda c: -abs(c[1]))
    return probability, contributions
