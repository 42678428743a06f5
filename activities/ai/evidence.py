"""What the offline reviewer weighs besides the words: figures, vagueness, shared words, the
policy's limits, a document's total. Pure functions over the request's variables and the
precedents (docs/ai.md, "The offline reviewer")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from activities.ai.extract import extract_fields
from activities.ai.policy import Limit

DOCUMENT_TOLERANCE = 1.0  # CNY between the claimed amount and a document's total


# A precedent whose amount (or days) is more than FIGURE_RATIO times the request's, or less than
# a FIGURE_RATIO-th of it, counts FIGURE_PENALTY less similar: alike in words, not in size.
FIGURE_RATIO = 5.0


FIGURE_PENALTY = 0.05


@dataclass(frozen=True)
class Precedent:
    decision: Literal["approve", "reject"]
    text: str
    source: str  # "example 2" or "instance purchase:PO-7 (alice)": named in the advice
    amount: float | None = None
    days: float | None = None


_FIGURES = re.compile(r"[¥￥]?\d[\d,.]*\s*(?:元|块|天|days?|CNY|RMB|yuan)?", re.IGNORECASE)


def comparable(text: str) -> str:
    """The text as it is embedded: without figures. Amounts and days are compared as numbers
    (the policy's limits, the amounts of precedents); as words they only add noise."""
    return " ".join(_FIGURES.sub(" ", text).split()) or text


_CJK = re.compile(r"[\u4e00-\u9fff]")


_WORD = re.compile(r"[A-Za-z]{3,}")


def vague(request: str) -> bool:
    """ "其他", "Misc": fewer than 3 Chinese characters and fewer than 2 words of 3 letters."""
    text = comparable(request)
    return len(_CJK.findall(text)) < 3 and len(_WORD.findall(text)) < 2


def figures(text: str) -> tuple[float | None, float | None]:
    """An example's amount and days, as its text states them ("860元", "3天")."""
    read = extract_fields(text)
    amount, days = read.get("amount"), read.get("days")
    return (
        float(amount) if isinstance(amount, int | float) else None,
        float(days) if isinstance(days, int | float) else None,
    )


def far(value: float | None, other: float | None) -> bool:
    if value is None or other is None or value <= 0 or other <= 0:
        return False
    return max(value, other) / min(value, other) > FIGURE_RATIO


def _bigrams(text: str) -> set[str]:
    runs = re.findall(r"[\u4e00-\u9fff]+", comparable(text))
    return {run[i : i + 2] for run in runs for i in range(len(run) - 1)}


def shares_words(request: str, backing: Precedent, compared: list[Precedent]) -> bool:
    """Whether a Chinese request shares a telling two-character word with the Chinese precedent
    it leans on: one used by precedents of that decision only. Other scripts: not checked."""
    if len(_CJK.findall(request)) < 2 or len(_CJK.findall(backing.text)) < 2:
        return True
    others = set().union(*(_bigrams(p.text) for p in compared if p.decision != backing.decision))
    return bool((_bigrams(request) & _bigrams(backing.text)) - others)


def number(variables: dict[str, Any], name: str) -> float | None:
    value = variables.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def above(variables: dict[str, Any], limit: Limit) -> bool:
    value = number(variables, limit.variable)
    return value is not None and value > limit.value


def rejected_for_size(precedent: Precedent, limits: tuple[Limit, ...]) -> bool:
    """A rejected precedent beyond a limit the policy rejects at ("年假 30天" under "leave longer
    than 20 days"): its figures, not its words, were the reason. Against a request within the
    limit it proves nothing, and its words ("年假") would count against approving one."""
    if precedent.decision != "reject":
        return False
    sizes = {"amount": precedent.amount, "days": precedent.days}
    return any(
        limit.decision == "reject" and (sizes.get(limit.variable) or 0.0) > limit.value
        for limit in limits
    )


# Words that say a request has something or lacks it: "有医院证明" and "没有医院证明", "with a
# receipt" and "without a receipt" read almost alike to an embedding model, which hardly sees a
# negation. Only the two stated against each other count: "周末和家人吃饭" says neither, and is
# as like "周末家庭聚餐 没有客户" as its words are.
_NEGATION = re.compile(
    r"没有|没|无|未|不|缺|\b(?:no|not|without|never|missing|lacks?)\b|n't", re.IGNORECASE
)
_AFFIRMATION = re.compile(r"有|附|带|持|\b(?:with|attached|has|have|includ\w*)\b", re.IGNORECASE)


def polarity(text: str) -> int:
    """-1 if the text says something is missing, 1 if it says something is there, else 0."""
    words = comparable(text)
    if _NEGATION.search(words):
        return -1
    return 1 if _AFFIRMATION.search(words) else 0


def opposite(text: str, other: str) -> bool:
    """One says it has what the other says it lacks."""
    return polarity(text) * polarity(other) < 0


def above_ceiling(variables: dict[str, Any], limits: tuple[Limit, ...]) -> bool:
    return any(limit.decision == "approve" and above(variables, limit) for limit in limits)


def amount_above(variables: dict[str, Any], found: list[Precedent]) -> bool:
    """Approving more than any approved precedent ever asked for."""
    amount = number(variables, "amount")
    approved = [p.amount for p in found if p.decision == "approve" and p.amount is not None]
    return amount is not None and bool(approved) and amount > max(approved)


def document_differs(variables: dict[str, Any]) -> bool:
    """An OCR result (``{"ocr": {"fields": {"total": ...}}}``) whose total is not the amount."""
    amount = number(variables, "amount")
    if amount is None:
        return False
    for value in variables.values():
        summary = value.get("ocr") if isinstance(value, dict) else None
        fields = summary.get("fields") if isinstance(summary, dict) else None
        total = fields.get("total") if isinstance(fields, dict) else None
        read = total.get("value") if isinstance(total, dict) else None
        if isinstance(read, int | float) and abs(float(read) - amount) > DOCUMENT_TOLERANCE:
            return True
    return False
