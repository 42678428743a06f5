"""Instances of one process version share one in-memory plan, found by its content hash.

Every start carries its whole plan (docs/architecture.md §1), so without sharing, each running
instance held its own copy: forty instances of a large process cost hundreds of MB in the worker.
The payload is read into plain JSON first; a plan already known by its hash is reused and the
copy dropped. A plan joins the cache only once its content is checked against its hash, so a hash
always stands for the same content, and the engine never mutates a plan. This module is passed
through the sandbox (``workflows/interpreter.py``), so the cache outlives each workflow's imports.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from shenpi_core.contracts import StartInput
from shenpi_core.process_plan import ProcessPlan

# Plans are at most 1 MiB of JSON (docs/compiler.md); a worker rarely runs more versions at once.
MAX_PLANS = 64

_lock = threading.Lock()
_plans: OrderedDict[str, ProcessPlan] = OrderedDict()


def start_input(raw: dict[str, Any]) -> StartInput:
    """``StartInput`` from its JSON, with the shared plan in place of the payload's copy."""
    return StartInput.model_validate({**raw, "plan": shared_plan(raw.get("plan"))})


def shared_plan(raw_plan: Any) -> ProcessPlan:
    digest = raw_plan.get("hash") if isinstance(raw_plan, dict) else None
    if digest:
        with _lock:
            found = _plans.get(digest)
            if found is not None:
                _plans.move_to_end(digest)
                return found
    plan = ProcessPlan.model_validate(raw_plan)
    if digest and plan.content_hash() == digest:
        with _lock:
            _plans[digest] = plan
            while len(_plans) > MAX_PLANS:
                _plans.popitem(last=False)
    return plan


def cached_hashes() -> list[str]:
    """The hashes held now, least recently used first (for tests and diagnostics)."""
    with _lock:
        return list(_plans)
