"""The overlap scorer of helpfulness (helpfulness.ts): token F1 or ROUGE-L of an answer against
the row's reference answer, over lower-cased runs of letters and numbers."""
import unicodedata


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and numbers (Unicode categories L* and N*), as the lab reads them."""
    out = []
    run = []
    for ch in text.lower():
        if unicodedata.category(ch)[0] in "LN":
            run.append(ch)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def _f_measure(matched: int, answer_length: int, reference_length: int) -> float:
    precision = matched / answer_length
    recall = matched / reference_length
    return (2 * precision * recall) / (precision + recall)


def token_f1(answer: str, reference: str) -> float:
    """F1 of the bags of words."""
    a = words(answer)
    r = words(reference)
    if not a or not r:
        return 0
    counts: dict[str, int] = {}
    for w in r:
        counts[w] = counts.get(w, 0) + 1
    overlap = 0
    for w in a:
        left = counts.get(w, 0)
        if left > 0:
            overlap += 1
            counts[w] = left - 1
    if overlap == 0:
        return 0
    return _f_measure(overlap, len(a), len(r))


def rouge_l(answer: str, reference: str) -> float:
    """F-measure of the longest common subsequence of words."""
    a = words(answer)
    r = words(reference)
    if not a or not r:
        return 0
    previous = [0] * (len(r) + 1)
    for wa in a:
        current = [0] * (len(r) + 1)
        for j in range(1, len(r) + 1):
            current[j] = previous[j - 1] + 1 if wa == r[j - 1] else max(previous[j], current[j - 1])
        previous = current
    lcs = previous[len(r)]
    if lcs == 0:
        return 0
    return _f_measure(lcs, len(a), len(r))


def overlap_score(metric: str, answer: str, reference: str) -> float:
    """The overlap scorer's raw score, `metric` "f1" or "rougeL"."""
    return token_f1(answer, reference) if metric == "f1" else rouge_l(answer, reference)
