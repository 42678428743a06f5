"""The visibility contract (docs/architecture.md §3): search attributes other tools query by name.

They hold ids and states only, never request content: visibility is not covered by payload codecs.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

from shenpi_core.limits import compact_json_size

VERSION = SearchAttributeKey.for_keyword("ShenpiVersion")  # "process_id:version"
STATUS = SearchAttributeKey.for_keyword("ShenpiStatus")
BUSINESS_KEY = SearchAttributeKey.for_keyword("ShenpiBusinessKey")
PENDING_ACTORS = SearchAttributeKey.for_keyword_list("ShenpiPendingActors")  # user:x, group:y
INITIATOR = SearchAttributeKey.for_keyword("ShenpiInitiator")
# low / normal / high / urgent: a label, not request content; the inbox lists urgent work first.
PRIORITY = SearchAttributeKey.for_keyword("ShenpiPriority")
# The earliest due date of the instance's open tasks, unset when none has one: SQL visibility
# filters by a Datetime but orders by nothing but start time, so the inbox by due date counts
# and lists ranges of it instead of reading every request (docs/api.md, "GET /tasks").
NEXT_DUE = SearchAttributeKey.for_datetime("ShenpiNextDue")

# The BPMN signals an instance waits for ("signal:<name>": a name from its BPMN file, never
# content): a broadcast signals the instances this finds (docs/architecture.md "Messages and
# signals").
WAITING_FOR = SearchAttributeKey.for_keyword_list("ShenpiWaitingFor")

ALL = (VERSION, STATUS, BUSINESS_KEY, PENDING_ACTORS, INITIATOR, PRIORITY, NEXT_DUE, WAITING_FOR)


def waiting_for_signal(name: str) -> str:
    return f"signal:{name}"


def user_actor(user_id: str) -> str:
    return f"user:{user_id}"


def group_actor(group: str) -> str:
    return f"group:{group}"


# Published in place of the actors that did not fit in ``ShenpiPendingActors`` (a step with
# hundreds of approvers): inbox queries also match it and then read the open-task memo, which
# names everyone. Not a `user:`/`group:` value, so no principal can be it.
OVERFLOW_ACTOR = "overflow"


def fit_actors(actors: list[str], budget: int) -> list[str]:
    """``actors`` as published: all of them when they fit in ``budget`` bytes of compact JSON
    (Temporal refuses a value over 2 KiB and fails the workflow task), else the leading ones that
    fit plus ``OVERFLOW_ACTOR``. Groups sort before users, so they are kept first."""
    if compact_json_size(actors) <= budget:
        return actors
    kept: list[str] = [OVERFLOW_ACTOR]
    size = compact_json_size(kept)
    for actor in actors:
        # Each further item costs its JSON string plus a comma; escaped is the larger measure.
        cost = compact_json_size([actor]) - 1
        if size + cost > budget:
            break
        kept.insert(len(kept) - 1, actor)
        size += cost
    return kept
