"""The request as text: what prompts show and what the offline reviewer compares.

Both are rendered from the variables in one way for a new request and for an archived precedent
(its final variables), so the two sides compare like for like. A node's ``request`` template
(``<shenpi:ai request="{{ description }} {{ amount }}元">``) replaces the default rendering.
"""

from __future__ import annotations

import json
from typing import Any

from activities.ai.sandbox import render_sandboxed
from shenpi.blobs import document_id_of

# Variables the engine sets for itself: not part of what the requester asked.
ENGINE_KEYS = frozenset({"approved", "decision", "initiator", "outcome", "comment"})
ENGINE_PREFIXES = ("ai_",)
VALUE_CHARS = 2_000  # one variable in the request text


def request_text(variables: dict[str, Any], template: str | None = None) -> str:
    """The node's request template, or the requester's variables as ``name: value`` lines,
    sorted, engine keys and documents left out: the request as prompts show it."""
    if template:
        return _rendered(template, variables)
    return "\n".join(f"{name}: {shown}" for name, shown in _request_items(variables))


def request_values(variables: dict[str, Any], template: str | None = None) -> str:
    """What the offline reviewer embeds: the node's request template, or the same variables as
    their values only, in the same order. Without the names it reads like a sentence, so it
    compares well with free-text examples and chat messages as well as with other requests."""
    if template:
        return _rendered(template, variables)
    return " ".join(shown for _, shown in _request_items(variables))


def route_text(variables: dict[str, Any], template: str | None = None) -> str:
    """What a route is chosen by: the node's request template, or the request's free text only
    (its string values that are not labels or codes). A ``category: "travel"`` or an amount says
    nothing of what the request is about, and must not pick a path for "其他"."""
    if template:
        return _rendered(template, variables)
    return " ".join(shown for _, shown in _request_items(variables) if _free_text(shown))


def _free_text(value: str) -> bool:
    """Words, not a label: a space, or three or more Chinese characters ("买一箱A4打印纸")."""
    if value.startswith(("{", "[")):
        return False  # an object or a list, as JSON
    return " " in value.strip() or sum("\u4e00" <= ch <= "\u9fff" for ch in value) >= 3


def _rendered(template: str, variables: dict[str, Any]) -> str:
    context = {k: v for k, v in variables.items() if isinstance(k, str)}
    context["variables"] = variables
    return render_sandboxed(template, context, what="request").strip()


def _request_items(variables: dict[str, Any]) -> list[tuple[str, str]]:
    items = []
    for name in sorted(k for k in variables if isinstance(k, str)):
        value = variables[name]
        if name in ENGINE_KEYS or name.startswith(ENGINE_PREFIXES) or is_document(value):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((name, shown[:VALUE_CHARS]))
    return items


def is_document(value: Any) -> bool:
    """A document reference (``BlobRef`` or id) or OCR output (``text_ref``): not request text."""
    return (isinstance(value, dict) and "text_ref" in value) or document_id_of(value) is not None
