"""Run the Alembic migrations programmatically (API start-up, `shenpi` CLI)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

from shenpi.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Alembic keeps the running migration's context in module globals (``alembic.context``): two
# upgrades on threads of one process (two apps starting, a lazy session beside an app) would
# tear each other's context down. Other processes are kept apart by the database itself.
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` that needs no alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option: ConfigParser would treat '%' in passwords.
    config.attributes["url"] = database_url
    return config


def upgrade_blocking(settings: Settings, revision: str = "head") -> None:
    """Bring the app database to ``revision``; only from sync code (env.py calls asyncio.run)."""
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(settings.resolved_database_url), revision)


async def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the app database to ``revision`` (idempotent; safe with several API replicas)."""
    # A thread, because Alembic's env.py runs its own event loop for the async engine.
    await asyncio.to_thread(upgrade_blocking, settings, revision)
