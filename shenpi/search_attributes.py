"""The visibility contract (docs/architecture.md §3): search attributes other tools query by name.

They hold ids and states only, never request content: visibility is not covered by payload codecs.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

VERSION = SearchAttributeKey.for_keyword("ShenpiVersion")  # "process_id:version"
STATUS = SearchAttributeKey.for_keyword("ShenpiStatus")
BUSINESS_KEY = SearchAttributeKey.for_keyword("ShenpiBusinessKey")
PENDING_ACTORS = SearchAttributeKey.for_keyword_list("ShenpiPendingActors")  # user:x, group:y
INITIATOR = SearchAttributeKey.for_keyword("ShenpiInitiator")

ALL = (VERSION, STATUS, BUSINESS_KEY, PENDING_ACTORS, INITIATOR)


def user_actor(user_id: str) -> str:
    return f"user:{user_id}"


def group_actor(group: str) -> str:
    return f"group:{group}"
