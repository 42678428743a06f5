"""The app database: migrations run on a fresh SQLite file; versions count up per process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shenpi.db import repository
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import alembic_config, upgrade
from shenpi.settings import Settings
from shenpi_core.process_plan import EndEvent, ProcessPlan, SequenceFlow, StartEvent


def _plan(process_id: str, name: str) -> ProcessPlan:
    return ProcessPlan(
        process_id=process_id,
        name=name,
        start_node="s",
        nodes=(StartEvent(id="s", outgoing=("f",)), EndEvent(id="e", incoming=("f",))),
        flows=(SequenceFlow(id="f", source="s", target="e"),),
    ).with_hash()


async def test_migrations_create_tables_in_wal_mode_and_are_idempotent(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", env="test")
    await upgrade(settings)
    await upgrade(settings)  # a restart runs them again: must be a no-op
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            rev = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            assert rev == ScriptDirectory.from_config(alembic_config("")).get_current_head()
            names = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            tables = set(names.scalars())
            assert {"definitions", "instance_archive", "archived_decisions"} <= tables
    finally:
        await engine.dispose()


async def test_versions_count_up_and_same_hash_is_not_a_new_version(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test")
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as s:
            d1, created1 = await repository.deploy_definition(
                s, plan=_plan("p", "one"), bpmn_xml=b"<a/>", warnings=[], deployed_by="u"
            )
            d1b, created1b = await repository.deploy_definition(
                s, plan=_plan("p", "one"), bpmn_xml=b"<a/>", warnings=[], deployed_by="u"
            )
            d2, created2 = await repository.deploy_definition(
                s, plan=_plan("p", "two"), bpmn_xml=b"<b/>", warnings=[], deployed_by="u"
            )
            await repository.deploy_definition(
                s, plan=_plan("q", "q"), bpmn_xml=b"<q/>", warnings=[], deployed_by="u"
            )
        assert (d1.version, created1) == (1, True)
        assert (d1b.version, created1b) == (1, False)
        assert (d2.version, created2) == (2, True)
        async with sessions() as s:
            latest = await repository.latest_definitions(s)
            assert [(d.process_id, d.version) for d in latest] == [("p", 2), ("q", 1)]
            versions = await repository.definition_versions(s, "p")
            assert [d.version for d in versions] == [2, 1]
            v1 = await repository.get_definition(s, "p", 1)
            assert v1 is not None and v1.bpmn_xml == b"<a/>"
            assert repository.load_plan(v1).name == "one"
            assert v1.deployed_at.tzinfo is not None
            assert await repository.get_definition(s, "p", 3) is None
    finally:
        await engine.dispose()


async def test_concurrent_deploys_of_one_process_get_distinct_versions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test")
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    sessions = create_sessionmaker(engine)

    async def deploy(i: int) -> int:
        async with sessions() as s:
            d, _ = await repository.deploy_definition(
                s, plan=_plan("p", f"n{i}"), bpmn_xml=b"<x/>", warnings=[], deployed_by="u"
            )
            return d.version

    try:
        versions = await asyncio.gather(*(deploy(i) for i in range(5)))
        assert sorted(versions) == [1, 2, 3, 4, 5]
    finally:
        await engine.dispose()


async def test_the_archive_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", env="test")
    await upgrade(settings)
    config = alembic_config(settings.resolved_database_url)
    await asyncio.to_thread(command.downgrade, config, "0001")
    assert "instance_archive" not in await _tables(settings)
    await upgrade(settings)
    assert {"instance_archive", "archived_decisions"} <= await _tables(settings)


async def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            names = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            return set(names.scalars())
    finally:
        await engine.dispose()
