"""``shenpi keys reseal``: after a rotation, the archive and AI transcripts are sealed again with
the new key (rows in clear too), so the old key can leave the ring; a second run has nothing to do.
Real SQLite, the real command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shenpi.cli import app
from shenpi.db.ai_results import get_result, put_result
from shenpi.db.archive import archive_instance
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import upgrade
from shenpi.payload_keys import KeyRing, UnknownKeyError
from tests.ai.test_results_table import _row
from tests.codec.support import NEW_KEY, OLD_KEY, ring
from tests.codec.test_sealed_rows import AT, COMMENT, SECRET, _raw, _read, _settings, _state


async def _write_rows(data_dir: Path) -> None:
    """An archive sealed with the old key, and an AI transcript written in clear."""
    settings = _settings(data_dir)
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine, ring(OLD_KEY))() as session:
            await archive_instance(session, "e-1", _state(), archived_at=AT)
        async with create_sessionmaker(engine)() as session:  # encryption was off then
            row = {**_row("r", None, []), "transcript": f'{{"prompt": "{SECRET}"}}'}
            await put_result(session, row, now=AT)
    finally:
        await engine.dispose()


async def _transcript(data_dir: Path, key_ring: KeyRing) -> str | None:
    engine = create_engine(_settings(data_dir).resolved_database_url)
    try:
        async with create_sessionmaker(engine, key_ring)() as session:
            stored = await get_result(session, "r", with_transcript=True)
    finally:
        await engine.dispose()
    return stored.transcript if stored is not None else None


def _reseal(data_dir: Path, keys: str) -> str:
    env = {"SHENPI_DATA_DIR": str(data_dir / "shenpi"), "SHENPI_PAYLOAD_KEYS": keys}
    result = CliRunner().invoke(app, ["keys", "reseal"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_reseal_moves_every_sealed_row_to_the_current_key(tmp_path: Path) -> None:
    asyncio.run(_write_rows(tmp_path))
    first = _reseal(tmp_path, f"{NEW_KEY},{OLD_KEY}")
    assert "instance_archive.state: 1 sealed with k-new, 0 already current" in first
    assert "archived_decisions.comment: 1 sealed with k-new" in first
    assert "ai_results.transcript: 1 sealed with k-new" in first  # it was in clear

    settings = _settings(tmp_path)
    raw = asyncio.run(_raw(settings, "SELECT state FROM instance_archive"))
    raw += asyncio.run(_raw(settings, "SELECT comment, variables FROM archived_decisions"))
    raw += asyncio.run(_raw(settings, "SELECT transcript FROM ai_results"))
    assert "k-old" not in raw and "k-new" in raw
    assert "secret-41d9" not in raw and "77b1" not in raw
    # The old key can go: the new one alone reads everything.
    archived, decisions = asyncio.run(_read(settings, ring(NEW_KEY)))
    assert archived.variables == {"description": SECRET} and decisions[0].comment == COMMENT
    assert asyncio.run(_transcript(tmp_path, ring(NEW_KEY))) == f'{{"prompt": "{SECRET}"}}'
    with pytest.raises(UnknownKeyError):
        asyncio.run(_read(settings, ring(OLD_KEY)))

    again = _reseal(tmp_path, f"{NEW_KEY},{OLD_KEY}")
    assert "instance_archive.state: 0 sealed with k-new, 1 already current" in again


def test_reseal_without_a_key_ring_says_so(tmp_path: Path) -> None:
    env = {"SHENPI_DATA_DIR": str(tmp_path / "shenpi"), "SHENPI_PAYLOAD_ENCRYPTION": "off"}
    result = CliRunner().invoke(app, ["keys", "reseal"], env=env)
    assert result.exit_code == 1 and "no key ring" in result.output
