"""The documented limits on what callers send (docs/security.md), for the API and the workflow.

Each limit keeps something Temporal would refuse later (a search attribute over 2 KiB, a payload
over 2 MB, a value nested past what the converters can walk) from getting in at all: refused at the
API with a 422, and checked again in the update validators, so a refusal never reaches history.
Pure functions over plain data: the workflow sandbox imports this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# User and group ids: what a directory, an OpenID provider or WeChat hands out (letters in any
# script, digits, and the punctuation ids carry: `auth0|42`, `/finance/ap`, `li.si@corp`), without
# what would break a comma list, a visibility query or a URL path segment.
MAX_ID_LENGTH = 64
_ID = re.compile(r"[^\s,;\"\\/?#%<>`\x00-\x1f\x7f]{1,64}")
# A group may be a directory path (Keycloak's `/org/finance`) or a name with inner spaces
# (`Domain Users`), so `/` and a space between other characters are allowed there.
_GROUP = re.compile(r"(?! )[^,;\"\\?#%<>`\x00-\x1f\x7f\x85\u2028\u2029]{1,64}(?<! )")
ID_RULE = (
    f"1 to {MAX_ID_LENGTH} characters, none of them whitespace, control characters or any of "
    '`, ; " \\ / ? # % < > ``; a group id may also hold `/` and inner spaces'
)

# A business key becomes part of the instance id, which is a URL path segment in every route.
MAX_BUSINESS_KEY_LENGTH = 128
_BUSINESS_KEY = re.compile(r"[^\s\"\\/?#%<>`\x00-\x1f\x7f]{1,128}")
BUSINESS_KEY_RULE = (
    f"1 to {MAX_BUSINESS_KEY_LENGTH} characters, none of them whitespace, control characters or "
    'any of `" \\ / ? # % < > ``, and not `.` or `..`'
)

# Variables: the start payload carries the plan as well (docs/compiler.md caps it at 1 MiB), and
# Temporal refuses a payload over 2 MB; nesting past a few dozen levels is never a real request
# and breaks the converters' recursion long before 1,000.
MAX_VARIABLE_DEPTH = 32
MAX_START_VARIABLES_BYTES = 256 * 1024
MAX_DECISION_VARIABLES_BYTES = 64 * 1024
MAX_VARIABLE_NAME_LENGTH = 128

# User ids in one add_signer request, and approvers of one step (1,000 still works: the inbox
# publishes what fits in the search attribute and finds the rest through an overflow marker).
MAX_SIGNERS_PER_REQUEST = 50
MAX_STEP_APPROVERS = 1000

# Versions count deployments of a process; a larger number is never one, and would overflow the
# database driver's integer.
MAX_VERSION = 2**31 - 1

# Temporal's per-value search-attribute limit is 2,048 bytes of compact JSON; stay well below it.
PENDING_ACTORS_BUDGET_BYTES = 1600


GROUP_PREFIX = "group:"  # a signer entry naming a group (docs/approvals.md add_signer)


class LimitError(ValueError):
    """A value breaks a documented limit; the message says which and what the limit is."""


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def is_group_id(value: object) -> bool:
    return isinstance(value, str) and _GROUP.fullmatch(value) is not None


def check_user_ids(values: Iterable[str], *, groups: bool = False) -> None:
    """Each value is a user id, or (``groups``: add/remove signer) ``group:<group id>``."""
    for value in values:
        if groups and value.startswith(GROUP_PREFIX):
            if not is_group_id(value[len(GROUP_PREFIX) :]):
                raise LimitError(f"{_show(value)} is not a valid group: {ID_RULE}")
        elif not is_user_id(value):
            raise LimitError(f"{_show(value)} is not a valid user id: {ID_RULE}")


def check_business_key(value: str) -> None:
    if _BUSINESS_KEY.fullmatch(value) is None or value in (".", ".."):
        raise LimitError(f"{_show(value)} is not a valid business key: {BUSINESS_KEY_RULE}")


def check_variables(variables: dict[str, Any], *, max_bytes: int) -> None:
    """Depth first (so measuring the size cannot recurse too deep), then names, then size."""
    depth = nesting_depth(variables, MAX_VARIABLE_DEPTH + 1)
    if depth > MAX_VARIABLE_DEPTH:
        raise LimitError(f"variables are nested deeper than {MAX_VARIABLE_DEPTH} levels")
    for name in variables:
        if not name or len(name) > MAX_VARIABLE_NAME_LENGTH:
            raise LimitError(
                f"variable name {_show(name)} must be 1 to {MAX_VARIABLE_NAME_LENGTH} characters"
            )
    try:
        size = len(json.dumps(variables, ensure_ascii=False, default=str).encode("utf-8"))
    except UnicodeEncodeError:
        # A lone surrogate (`"\ud958"`) parses as JSON but is no text: nothing downstream can
        # store or send it.
        raise LimitError("variables hold text that is not valid Unicode") from None
    if size > max_bytes:
        raise LimitError(f"variables take {size} bytes as JSON, more than the {max_bytes} allowed")


def nesting_depth(value: Any, stop_at: int) -> int:
    """How deep lists and objects nest in ``value`` (a scalar is 0), counted without recursion
    and given up at ``stop_at``: a hostile value costs no more than the limit to look at."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            depth += 1
            deepest = max(deepest, depth)
            if deepest >= stop_at:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


def compact_json_size(values: list[str]) -> int:
    """The size Temporal measures a keyword list by (compact JSON), escaped or not, whichever
    is larger: servers differ in how they encode non-ASCII ids."""
    escaped = json.dumps(values, separators=(",", ":"))
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return max(len(escaped), len(raw))


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}...'"


# FEEL (docs/compiler.md "FEEL"): what one evaluation may build or walk, so an expression such as
# `for i in 1..100000000 return i` or a filter over a huge list ends as an error, not as a
# workflow task that never yields.
MAX_FEEL_LIST_ITEMS = 10_000
MAX_FEEL_STRING_LENGTH = 100_000
# A step is a node evaluated, or an item a built-in, a path or a comparison walks; 50,000 take
# about half a second at worst (measured: nested `for` loops), inside the 2 s a workflow task
# may take, and a thousand times what a condition or a decision table of 500 rules needs.
MAX_FEEL_STEPS = 50_000
# `matches`, `replace` and `split` run Python's backtracking regex engine: patterns are limited to
# a subset without nested quantifiers or back-references, and the text they scan is capped.
MAX_FEEL_REGEX_PATTERN = 200
MAX_FEEL_REGEX_INPUT = 10_000
