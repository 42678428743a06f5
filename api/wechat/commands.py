"""What a chat message asks for: a decision on a task, a new request, or nothing we know.

Pure functions over text, so the grammar is tested without WeChat or Temporal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from activities.ai.extract import extract_fields

Lang = Literal["zh", "en"]
Action = Literal["approve", "reject"]

_VERBS: dict[str, tuple[Action, Lang]] = {
    "同意": ("approve", "zh"),
    "批准": ("approve", "zh"),
    "驳回": ("reject", "zh"),
    "拒绝": ("reject", "zh"),
    "approve": ("approve", "en"),
    "reject": ("reject", "en"),
}
# "<verb> <ref> [comment]": the ref is TaskView.ref (6 characters of base32, typed in any case);
# \s also matches the full-width space Chinese keyboards type.
_DECISION = re.compile(
    r"^\s*(?P<verb>" + "|".join(_VERBS) + r")\s+(?P<ref>[A-Za-z2-7]{6})(?:\s+(?P<comment>.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_NIGHTS = re.compile(r"(?<![\d.,])(?P<n>\d{1,3})\s*(?:晚|nights?\b)")
MAX_COMMENT = 4000  # DecisionCreate.comment's bound


@dataclass(frozen=True)
class DecisionCommand:
    action: Action
    ref: str  # lower case, as TaskView.ref
    comment: str | None
    lang: Lang


@dataclass(frozen=True)
class MissingReason:
    """``驳回 <ref>`` without a reason: a reject must say why."""

    ref: str
    lang: Lang


@dataclass(frozen=True)
class StartCommand:
    keyword: str
    process_id: str
    description: str
    variables: dict[str, Any]


Command = DecisionCommand | MissingReason | StartCommand


def parse_command(text: str, start_processes: dict[str, str]) -> Command | None:
    """The command in ``text``; None when it is none we know (the sender gets the help text)."""
    found = _DECISION.match(text)
    if found is not None:
        action, lang = _VERBS[found["verb"].lower()]
        ref = found["ref"].lower()
        comment = (found["comment"] or "").strip()[:MAX_COMMENT] or None
        if action == "reject" and comment is None:
            return MissingReason(ref, lang)
        return DecisionCommand(action, ref, comment, lang)
    words = text.split(maxsplit=1)
    if words and words[0] in start_processes:
        description = text.strip()
        return StartCommand(
            keyword=words[0],
            process_id=start_processes[words[0]],
            description=description,
            variables={**request_fields(description), "description": description},
        )
    return None


def language_of(text: str) -> Lang:
    """Reply in English to a message with no Chinese in it, else in Chinese."""
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def start_processes(setting: str) -> dict[str, str]:
    """``"报销=expense-claim, 采购=purchase-approval"`` as ``{keyword: process id}``."""
    pairs = (item.partition("=") for item in setting.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, _, v in pairs if k.strip() and v.strip()}


def request_fields(text: str) -> dict[str, Any]:
    """Fields of a request typed in a chat: the AI reviewer's rules (amount, date, days, city),
    plus nights of a hotel stay ("住宿3晚"), which travel claims state."""
    fields = extract_fields(text)
    if nights := _NIGHTS.search(text):
        fields["nights"] = int(nights["n"])
    return fields
