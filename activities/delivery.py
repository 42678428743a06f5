"""The id of one delivery, stable across retries: what a receiver dedupes an effect by.

Delivery is at least once: an attempt cut short (a timeout, a worker killed mid-call) may have
reached the other side before it could report so, and Temporal runs it again. Every attempt of one
scheduled activity carries the same id (the webhook's ``event_id``, the ``http`` activity's
``Idempotency-Key``), so the other side can apply it once.
"""

from __future__ import annotations

import uuid

from temporalio import activity

# uuid5 namespace of delivery ids (a fixed, random uuid4): ids are names, not secrets.
DELIVERY_NAMESPACE = uuid.UUID("0b9f6c2e-5d1a-4c37-9a52-3f0e8c1d7b64")


def delivery_id(info: activity.Info) -> str:
    """One scheduled activity, whatever its attempt.

    Temporal gives a retried attempt the same workflow, run and activity ids, and a replayed
    workflow schedules its activities under the same ids, so a crash anywhere keeps the id; a new
    run (continue-as-new, a reset) numbers its activities anew, hence the run id.
    """
    name = f"{info.workflow_id or ''}\n{info.workflow_run_id or ''}\n{info.activity_id}"
    return str(uuid.uuid5(DELIVERY_NAMESPACE, name))
