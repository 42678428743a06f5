"""One PostgreSQL server per test session; each test gets its own database on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db.postgres import create_database, pg_bin, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[tuple[Path, str]]:
    bin_dir = pg_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql)")
    with postgres_server(bin_dir) as url:
        yield bin_dir, url


@pytest.fixture
def postgres_url(postgres: tuple[Path, str]) -> str:
    bin_dir, url = postgres
    return create_database(bin_dir, url, f"t_{uuid.uuid4().hex[:12]}")
