"""A node's policy read as the offline reviewer can use it: labelled statements and limits.

"Business expenses are reimbursed: trips, hotels, taxis. Private spending is not: personal goods,
gym cards." gives approve statements (trips, hotels, taxis) and reject statements (personal
goods, gym cards), compared with a request like examples are. "Annual leave up to 5 days is
approved; leave longer than 20 days is rejected" also gives limits on the request's ``days``:
above 5 the reviewer does not approve by itself, above 20 it rejects. Units map to variables:
CNY, RMB, yuan, 元, 块 → ``amount``; days, 天 → ``days``. A sentence that says neither approve nor
reject ("point out a receipt total that differs") is left to the prompt of a language model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Decision = Literal["approve", "reject"]

# Negative words first: "is not reimbursed" says reject although it says "reimbursed".
_REJECT = re.compile(
    r"\b(?:reject\w*|not|never|refus\w*|forbidden|den(?:y|ied)|declined?)\b"
    r"|不予|不能|不可|不得|驳回|拒绝|不报销|禁止|不批|不允许",
    re.IGNORECASE,
)
_APPROVE = re.compile(
    r"\b(?:approv\w*|reimburs\w*|allow\w*|accept\w*|granted)\b|批准|同意|报销|可以|予以|允许",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.;!?。；！？])\s*|\n+")
_ITEMS = re.compile(r",|，|、|;|；|\band\b|\bor\b|以及|和|及|或")
_UNIT = r"(CNY|RMB|yuan|元|块|days?|天)"
_NUMBER = r"(\d[\d,]*(?:\.\d+)?)\s*"
# (pattern, group of the number, group of the unit)
_CEILINGS = (
    re.compile(
        rf"(?:up to|under|below|at most|no more than|not more than|within|less than)\s*"
        rf"{_NUMBER}{_UNIT}",
        re.IGNORECASE,
    ),
    re.compile(rf"{_NUMBER}{_UNIT}\s*(?:以内|以下|之内)"),
    re.compile(rf"(?:不超过|不高于|少于|低于){_NUMBER}{_UNIT}"),
)
_FLOORS = (
    re.compile(
        rf"(?:longer than|more than|over|above|exceeding|beyond|greater than)\s*{_NUMBER}{_UNIT}",
        re.IGNORECASE,
    ),
    re.compile(rf"(?:超过|多于|高于|大于){_NUMBER}{_UNIT}"),
    re.compile(rf"{_NUMBER}{_UNIT}\s*以上"),
)
# Words that say how a sentence decides, not what it is about: left out of the statements.
_VERBS = re.compile(
    r"\b(?:are|is|be|will be|get|gets)?\s*(?:not\s+)?(?:approved|rejected|reimbursed|allowed|"
    r"accepted|refused|denied|granted)\b|\b(?:are|is)\s+not\b|予以报销|不予报销|可以报销|不能报销|"
    r"批准|驳回|拒绝|同意|报销|一律"
    r"|^\s*(?:approve|reject|refuse|deny|reimburse)\b",
    re.IGNORECASE,
)
_VARIABLES = {"cny": "amount", "rmb": "amount", "yuan": "amount", "元": "amount", "块": "amount"}
_MIN_ITEM_CHARS = 2


@dataclass(frozen=True)
class Statement:
    decision: Decision
    text: str


@dataclass(frozen=True)
class Limit:
    """``variable`` above ``value``: an approve sentence's ceiling (not approved by itself) or a
    reject sentence's floor (rejected)."""

    decision: Decision
    variable: str
    value: float
    sentence: str


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...] = ()
    limits: tuple[Limit, ...] = ()


def read_policy(text: str | None) -> Policy:
    """The statements and limits of a policy text (empty for None)."""
    if not text:
        return Policy()
    statements: list[Statement] = []
    limits: list[Limit] = []
    for sentence in (s.strip() for s in _SENTENCES.split(text)):
        decision = _decision_of(sentence)
        if decision is None:
            continue
        limits += _limits(sentence, decision)
        head, _, tail = sentence.replace("：", ":").partition(":")
        for item in _ITEMS.split(tail if tail.strip() else head):
            if any(p.search(item) for p in _FLOORS):
                continue  # "leave longer than 20 days" is a limit, not a kind of request
            for pattern in _CEILINGS:  # "annual leave up to 5 days": annual leave, limited
                item = pattern.sub(" ", item)
            item = " ".join(_VERBS.sub(" ", item).split()).strip(" .。!！?？")
            if len(item) >= _MIN_ITEM_CHARS:
                statements.append(Statement(decision, item))
    return Policy(tuple(statements), tuple(limits))


def _decision_of(sentence: str) -> Decision | None:
    if _REJECT.search(sentence):
        return "reject"
    if _APPROVE.search(sentence):
        return "approve"
    return None


def _limits(sentence: str, decision: Decision) -> list[Limit]:
    found = []
    for pattern in _CEILINGS if decision == "approve" else _FLOORS:
        for number, unit in pattern.findall(sentence):
            variable = _VARIABLES.get(unit.lower(), "days")
            found.append(Limit(decision, variable, float(number.replace(",", "")), sentence))
    return found
