"""Archiving an ended instance: its final state (timeline included) goes to the app database.

Temporal forgets a closed execution after the namespace's retention; the ``shenpi-archive``
activity keeps the audit trail. Retries are bounded, so a database that stays down costs a
``archive_failed`` timeline entry on the returned state, never an instance that hangs. Instances
that ended before archiving existed replay without it (``workflow.patched``).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from shenpi_core.contracts import ACTIVITY_ARCHIVE, ArchiveInput
from workflows.engine import Engine
from workflows.services import HEARTBEAT_TIMEOUT, NOT_REGISTERED, failure_message

PATCH_ARCHIVE = "shenpi-archive-on-end"
ARCHIVE_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=[NOT_REGISTERED])


async def archive(engine: Engine) -> None:
    """Store the final state; on failure, say so in the timeline and end anyway."""
    if not workflow.patched(PATCH_ARCHIVE):
        return
    final = engine.state.model_copy(update={"tokens": [], "counters": {}})
    try:
        # A regular activity, not a local one: a worker that lacks it (an emitted workflow on a
        # team's own worker) then fails the activity, which ends in the timeline, instead of
        # failing every workflow task of the instance.
        await workflow.execute_activity(
            ACTIVITY_ARCHIVE,
            ArchiveInput(instance_id=engine.workflow_id, state=final),
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,  # the activity beats: a crash costs seconds
            schedule_to_close_timeout=timedelta(minutes=10),  # bounded: never an endless hang
            retry_policy=ARCHIVE_RETRY,
            summary="archive the audit trail",
        )
    except ActivityError as err:
        engine.record("archive_failed", details={"message": failure_message(err)})
