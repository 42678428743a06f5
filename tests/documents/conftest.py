"""Blob stores for the document tests: a local folder, and S3 on a real local S3 server (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from shenpi.settings import Settings
from tests.ports import free_port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP server on localhost (moto's), for the whole session."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_settings(endpoint: str, tmp_path: Path, bucket: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        blob_store="s3",
        s3_endpoint_url=endpoint,
        s3_bucket=bucket,
        s3_access_key="test-key",
        s3_secret_key="test-secret",
    )
