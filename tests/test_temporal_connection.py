"""How the API and the worker reach Temporal: plain, TLS, mTLS or Temporal Cloud's API key,
from SHENPI_* variables as a deployment sets them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from shenpi.settings import Settings
from shenpi.temporal_connection import connection_options


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(f"SHENPI_{name.upper()}", value)
    return Settings(_env_file=None)


def test_a_plain_connection_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection_options(_settings(monkeypatch)) == {"tls": False}


def test_an_api_key_implies_tls_with_the_system_cas(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        temporal_address="my-ns.a1b2c.tmprl.cloud:7233",
        temporal_namespace="my-ns.a1b2c",
        temporal_api_key="key-123",
    )
    assert connection_options(settings) == {"tls": True, "api_key": "key-123"}


def test_mtls_reads_the_client_certificate_and_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert, key, ca = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "ca.pem"
    cert.write_bytes(b"CERT")
    key.write_bytes(b"KEY")
    ca.write_bytes(b"CA")
    settings = _settings(
        monkeypatch,
        temporal_tls_cert_file=str(cert),
        temporal_tls_key_file=str(key),
        temporal_tls_ca_file=str(ca),
        temporal_tls_server_name="temporal.internal",
    )
    tls = connection_options(settings)["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (
        b"CERT",
        b"KEY",
        b"CA",
    )
    assert tls.domain == "temporal.internal"


def test_tls_alone_uses_the_system_cas(monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection_options(_settings(monkeypatch, temporal_tls="true")) == {"tls": True}


def test_a_certificate_without_its_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "client.pem").write_bytes(b"CERT")
    with pytest.raises(ValidationError, match="go together"):
        _settings(monkeypatch, temporal_tls_cert_file=str(tmp_path / "client.pem"))
