"""Helpers for business rule task tests: deploy a DMN file where a worker's
``shenpi-resolve-decision`` activity reads, as ``shenpi deploy`` would store it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bpmn_compiler.dmn import compile_dmn
from shenpi.db.decisions import deploy_decisions
from shenpi.db.lazy import LazyDatabase
from shenpi.settings import Settings
from tests.helpers import REPO_ROOT

DMN_DIR = Path(__file__).parent / "dmn"
APPROVER_LEVEL = REPO_ROOT / "processes" / "approver-level.dmn"


async def deploy_dmn(settings: Settings, path: Path) -> int:
    """Deploy the DMN file at ``path`` into the app database of ``settings``; its version."""
    xml = await asyncio.to_thread(path.read_bytes)
    database = LazyDatabase(settings)
    try:
        async with (await database())() as session:
            row, _ = await deploy_decisions(
                session,
                plan=compile_dmn(xml, source=path.name).plan,
                dmn_xml=xml,
                warnings=[],
                deployed_by="test",
            )
            return row.version
    finally:
        await database.aclose()
