"""Every committed history replays against the current interpreter (docs/architecture.md §2).

A failure here means an interpreter change is not replay-safe for instances already running:
guard it with ``workflow.patched(...)`` instead of changing the recorded behaviour.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.interpreter import Interpreter

HISTORIES = sorted(Path(__file__).parent.glob("*.json"))


def test_representative_histories_are_committed() -> None:
    names = {p.name.rsplit("-", 1)[0] for p in HISTORIES}
    assert {"approve_path", "reject_and_rework", "parallel_and_claim", "incidents"} <= names
    assert {"continue_as_new", "timers", "past_due_timers"} <= names
    assert {"approval_steps", "approval_actions"} <= names
    assert {"instance_actions", "deadlines"} <= names
    assert {"ai_advise", "ai_decide", "ai_fallback", "ai_route"} <= names
    assert {"ai_service", "ocr_service", "ai_shadow"} <= names
    assert {"notify_defaults", "decision_limits", "incident_actions", "ai_heartbeats"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    replayer = Replayer(workflows=[Interpreter], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
