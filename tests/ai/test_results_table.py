"""The ``ai_results`` table: its migration goes down and up again; rows are upserts by key;
the inbox's advice for many results comes back from one query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import event, text

from shenpi.db.ai_results import advice_for, answer_job, get_result, put_result
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import alembic_config, upgrade
from tests.ai.conftest import ai_settings

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _row(result_id: str, advice: str | None, flags: list[str]) -> dict[str, Any]:
    return {
        "result_id": result_id,
        "provider": "openai",
        "model": "m",
        "purpose": "review",
        "process_id": "expense",
        "node_id": "review",
        "template_version": "default-review@1",
        "prompt_hash": "0" * 64,
        "decision": "approve",
        "confidence": 0.9,
        "advice": advice,
        "risk_flags": flags,
        "result": None,
        "transcript": "{}",
    }


async def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.execute(text(f"SELECT name FROM pragma_table_info('{table}')"))
            return set(names.scalars())
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            return set(names.scalars())
    finally:
        await engine.dispose()


async def test_the_ai_results_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    settings = ai_settings(tmp_path)
    await upgrade(settings, "0003")
    assert "ai_results" in await _tables(settings.resolved_database_url)
    await asyncio.to_thread(
        command.downgrade, alembic_config(settings.resolved_database_url), "0002"
    )
    assert "ai_results" not in await _tables(settings.resolved_database_url)
    await upgrade(settings, "0003")
    assert "ai_results" in await _tables(settings.resolved_database_url)


async def test_rows_upsert_by_key_and_advice_of_a_page_is_one_query(tmp_path: Path) -> None:
    settings = ai_settings(tmp_path)
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            await put_result(session, _row("a", "first", []), now=AT)
            await put_result(session, _row("a", "again", ["late"]), now=AT)
            await put_result(session, _row("b", "other", ["x"]), now=AT)
        async with sessions() as session:
            row = await get_result(session, "a")
            statements.clear()
            found = await advice_for(session, ["a", "b", "missing"])
    finally:
        await engine.dispose()
    assert row is not None and (row.advice, row.risk_flags) == ("again", ["late"])
    assert {k: (v.advice, v.risk_flags) for k, v in found.items()} == {
        "a": ("again", ["late"]),
        "b": ("other", ["x"]),
    }
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


async def test_the_job_columns_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    settings = ai_settings(tmp_path)
    url = settings.resolved_database_url
    await upgrade(settings, "0005")
    assert {"job_id", "job_started_at"} <= await _columns(url, "ai_results")
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0004")
    assert not {"job_id", "job_started_at"} & await _columns(url, "ai_results")
    await upgrade(settings, "0005")
    assert {"job_id", "job_started_at"} <= await _columns(url, "ai_results")


async def test_a_pending_job_keeps_the_answer_and_only_its_own_answer_is_stored(
    tmp_path: Path,
) -> None:
    settings = ai_settings(tmp_path)
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    answered = {**_row("a", "first", ["x"]), "result": {"decision": "approve"}}
    pending = {
        **_row("a", None, []),
        "decision": None,
        "confidence": None,
        "job_id": "a-1",
        "job_started_at": LATER,
    }
    answer = {"decision": "reject", "advice": "second", "result": {"decision": "reject"}}
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            await put_result(session, answered, now=AT)
            await put_result(session, pending, now=LATER)
            waiting = await get_result(session, "a")
            assert waiting is not None
            kept = (waiting.advice, waiting.risk_flags, waiting.job_id, waiting.job_started_at)
        async with sessions() as session:
            stale = await answer_job(session, "a", "a-0", answer, now=LATER)
            taken = await answer_job(session, "a", "a-1", answer, now=LATER)
            replayed = await answer_job(session, "a", "a-1", {"advice": "third"}, now=LATER)
            row = await get_result(session, "a")
    finally:
        await engine.dispose()
    assert kept == ("first", ["x"], "a-1", LATER)
    assert (stale, taken, replayed) == (False, True, False)
    assert row is not None and (row.advice, row.job_id, row.created_at) == ("second", None, AT)
