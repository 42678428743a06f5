"""Run the Alembic migrations programmatically (API start-up, `shenpi` CLI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from shenpi.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` that needs no alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option: ConfigParser would treat '%' in passwords.
    config.attributes["url"] = database_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the app database to ``revision``. Blocking: env.py runs its own event loop."""
    command.upgrade(alembic_config(settings.resolved_database_url), revision)


async def upgrade_async(settings: Settings, revision: str = "head") -> None:
    """:func:`upgrade` from async code: in a thread, since Alembic's env.py calls asyncio.run."""
    await asyncio.to_thread(upgrade, settings, revision)
