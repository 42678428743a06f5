"""The archive and AI transcripts are encrypted at rest with the payload key ring (real SQLite);
rows written before encryption stay readable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.archive import ArchiveActivities
from shenpi.db.ai_results import answer_job, get_result, put_result
from shenpi.db.archive import archive_instance, decisions_of, get_archived
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import upgrade
from shenpi.payload_keys import KeyRing, UnknownKeyError
from shenpi.settings import Settings
from shenpi_core.contracts import ArchiveInput, InstanceState, TimelineEntry
from tests.ai.test_results_table import _row
from tests.codec.support import NEW_KEY, OLD_KEY, ring

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
SECRET = "住宿3晚 1260元 secret-41d9"
COMMENT = "ok, but ask for receipts 77b1"


def _state() -> InstanceState:
    return InstanceState(
        process_id="expense",
        version=1,
        status="completed",
        outcome="approved",
        initiator="ivan",
        variables={"description": SECRET},
        timeline=[
            TimelineEntry(at=AT, event="started", actor="ivan"),
            TimelineEntry(
                at=AT,
                event="approved",
                node_id="review",
                task_id="r-1",
                actor="al",
                comment=COMMENT,
            ),
        ],
    )


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, env="test", data_dir=tmp_path / "shenpi", **overrides)


async def _raw(settings: Settings, sql: str) -> str:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(sql))).all()
    finally:
        await engine.dispose()
    return repr([tuple(str(value) for value in row) for row in rows])  # Row's repr abbreviates


async def _read(settings: Settings, key_ring: KeyRing | None) -> tuple[Any, Any]:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine, key_ring)() as session:
            return await get_archived(session, "e-1"), await decisions_of(session, "e-1")
    finally:
        await engine.dispose()


async def test_archived_state_and_decisions_are_encrypted_at_rest(tmp_path: Path) -> None:
    settings = _settings(tmp_path, payload_keys=OLD_KEY)
    activities = ArchiveActivities(settings)
    try:
        await ActivityEnvironment().run(
            activities.archive, ArchiveInput(instance_id="e-1", state=_state())
        )
    finally:
        await activities.aclose()

    stored = await _raw(settings, "SELECT * FROM instance_archive")
    stored += await _raw(settings, "SELECT * FROM archived_decisions")
    assert "secret-41d9" not in stored and "77b1" not in stored
    assert "k-old" in stored
    assert "'ivan'" in stored and "'approved'" in stored  # ids and states stay queryable
    # Read back with the ring (rotated since: the old key still decrypts), in clear.
    archived, decisions = await _read(settings, ring(NEW_KEY, OLD_KEY))
    assert archived.variables == {"description": SECRET}
    assert [(d.actor, d.comment, d.variables) for d in decisions] == [
        ("al", COMMENT, {"description": SECRET})
    ]
    with pytest.raises(UnknownKeyError, match="k-old"):
        await _read(settings, None)


async def test_rows_archived_before_encryption_stay_readable(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:  # no ring: written in clear
            await archive_instance(session, "e-1", _state(), archived_at=AT)
    finally:
        await engine.dispose()

    assert "secret-41d9" in await _raw(settings, "SELECT state FROM instance_archive")
    archived, decisions = await _read(settings, ring(OLD_KEY))
    assert archived.variables == {"description": SECRET}
    assert decisions[0].comment == COMMENT


async def test_ai_transcripts_are_encrypted_at_rest(tmp_path: Path) -> None:
    settings = _settings(tmp_path, payload_keys=OLD_KEY)
    await upgrade(settings)
    row = {**_row("r", None, []), "transcript": f'{{"prompt": "{SECRET}"}}', "job_id": "r-1"}
    engine = create_engine(settings.resolved_database_url)
    try:
        sessions = create_sessionmaker(engine, settings.payload_key_ring())
        async with sessions() as session:
            await put_result(session, row, now=AT)
            await answer_job(
                session, "r", "r-1", {"transcript": f'{{"answer": "{COMMENT}"}}'}, now=AT
            )
        async with sessions() as session:
            stored = await get_result(session, "r", with_transcript=True)
    finally:
        await engine.dispose()

    raw = await _raw(settings, "SELECT transcript FROM ai_results")
    assert "77b1" not in raw and raw.startswith("[('$sealed:k-old:")
    assert stored is not None and stored.transcript == f'{{"answer": "{COMMENT}"}}'
