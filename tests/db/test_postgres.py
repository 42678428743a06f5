"""The app database on a real PostgreSQL server: migrations both ways and every repository.

SQLite is the default and runs in every other test; production runs PostgreSQL, so each table's
repository runs here too, including the races its primary keys settle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shenpi.db import ai_results, archive, documents, idempotency, repository, wechat
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import alembic_config, upgrade
from shenpi.settings import Settings
from shenpi_core.contracts import InstanceState, TimelineEntry
from shenpi_core.process_plan import EndEvent, ProcessPlan, SequenceFlow, StartEvent

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
KEEP = timedelta(days=1)


def _plan(name: str) -> ProcessPlan:
    return ProcessPlan(
        process_id="pg_process",
        name=name,
        start_node="s",
        nodes=(StartEvent(id="s", outgoing=("f",)), EndEvent(id="e", incoming=("f",))),
        flows=(SequenceFlow(id="f", source="s", target="e"),),
    ).with_hash()


@pytest_asyncio.fixture
async def sessions(postgres_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade(Settings(env="test", database_url=postgres_url))
    engine = create_engine(postgres_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return set(rows.scalars())
    finally:
        await engine.dispose()


async def test_migrations_go_up_down_and_up_again(postgres_url: str) -> None:
    settings = Settings(env="test", database_url=postgres_url)
    await upgrade(settings)
    await upgrade(settings)  # a restart (or a second replica) runs them again: a no-op
    created = await _tables(postgres_url)
    await asyncio.to_thread(command.downgrade, alembic_config(postgres_url), "base")
    emptied = await _tables(postgres_url)
    await upgrade(settings)
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            rev = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
    expected = {"definitions", "instance_archive", "archived_decisions", "ai_results"}
    assert expected | {"wechat_nonces", "idempotency_keys", "document_references"} <= created
    assert emptied <= {"alembic_version"}
    assert rev == ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def test_definitions_count_versions_per_process(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        first, new1 = await repository.deploy_definition(
            s, plan=_plan("one"), bpmn_xml=b"<a/>", warnings=[], deployed_by="u"
        )
        again, new2 = await repository.deploy_definition(
            s, plan=_plan("one"), bpmn_xml=b"<a/>", warnings=[], deployed_by="u"
        )
        second, new3 = await repository.deploy_definition(
            s, plan=_plan("two"), bpmn_xml=b"<b/>", warnings=[], deployed_by="u"
        )
        latest = await repository.get_definition(s, "pg_process", None)
    assert (first.version, again.version, second.version) == (1, 1, 2)
    assert (new1, new2, new3) == (True, False, True)
    assert latest is not None and repository.load_plan(latest) == _plan("two")


async def test_the_archive_keeps_state_and_decisions(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    state = InstanceState(
        process_id="pg_process",
        version=1,
        status="completed",
        outcome="approved",
        initiator="ida",
        variables={"amount": 12000, "名称": "采购"},
        timeline=[
            TimelineEntry(at=AT, event="approved", node_id="n", task_id="n-1", actor="bob"),
        ],
    )
    async with sessions() as s:
        await archive.archive_instance(s, "pg:1", state, archived_at=AT)
        await archive.archive_instance(s, "pg:1", state, archived_at=AT)  # idempotent
    async with sessions() as s:
        stored = await archive.get_archived(s, "pg:1")
        decisions = await archive.decisions_of(s, "pg:1")
    assert stored is not None and stored.variables == state.variables
    assert [(d.actor, d.action) for d in decisions] == [("bob", "approved")]


async def test_wechat_nonces_messages_and_bindings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        seen = [
            await wechat.remember_nonce(s, "work", "n1", "d1", now=AT, keep=KEEP),
            await wechat.remember_nonce(s, "work", "n1", "d1", now=AT, keep=KEEP),
            await wechat.remember_nonce(s, "work", "n1", "other", now=AT, keep=KEEP),
        ]
        firsts = [
            await wechat.record_message(
                s, "m1", instance_id="i", task_id="t", outcome="accepted", now=AT, keep=KEEP
            )
            for _ in range(2)
        ]
        _, created = await wechat.put_binding(s, "wx-bob", "bob", source="api", by="ops", now=AT)
        user = await wechat.user_of(s, "wx-bob")
    assert seen == ["new", "redelivery", "replay"]
    assert firsts == [True, False]
    assert created and user == "bob"


async def test_ai_results_keep_an_answer_against_a_later_pending_job(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    row: dict[str, Any] = {
        "result_id": "r1",
        "provider": "local",
        "model": "m",
        "purpose": "review",
        "process_id": "pg_process",
        "node_id": "n",
        "template_version": "2",
        "prompt_hash": "h",
        "decision": "approve",
        "confidence": 0.9,
        "advice": "fine",
        "risk_flags": ["none"],
        "result": {"decision": "approve"},
    }
    async with sessions() as s:
        await ai_results.put_result(s, row, now=AT)
        await ai_results.put_result(s, {**row, "advice": None, "job_id": "j2"}, now=AT)
        advice = await ai_results.advice_for(s, ["r1"])
    assert advice["r1"].advice == "fine"


async def test_documents_and_idempotency_keys(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        await documents.record_upload(s, "sha256:aa", "ida", name="票.png", now=AT)
        await documents.record_upload(s, "sha256:aa", "ida", name="again.png", now=AT)
        await documents.record_references(
            s, "pg:1", ["sha256:aa", "sha256:aa"], added_by="ida", now=AT
        )
        upload = await documents.upload_by(s, "sha256:aa", "ida")
        referring = await documents.referring_instances(s, "sha256:aa", limit=10)

    async def claim(fingerprint: str) -> str:
        async with sessions() as s:
            return await idempotency.claim_key(
                s, instance_id="pg:1", principal="bob", key="k", fingerprint=fingerprint, now=AT
            )

    bound = await asyncio.gather(*(claim(f"fp{i}") for i in range(5)))
    assert upload is not None and upload.name == "票.png"
    assert referring == ["pg:1"]
    assert len(set(bound)) == 1  # of five racing requests with one key, exactly one bound it
