"""Shenpi's TLS settings against a real TLS server: the dev server behind a TLS terminator that
requires a client certificate (mTLS, as Temporal Cloud and a hardened self-hosted cluster do).

The dev server speaks plain gRPC; the terminator here is a real TLS server (Python's ``ssl``, ALPN
``h2`` as gRPC needs) that forwards the decrypted stream to it. Certificates are made per test run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shenpi.settings import Settings
from shenpi.temporal_connection import connection_options

SERVER_NAME = "temporal.shenpi.test"  # not the address: the check must use the configured name
REFUSED = r"(?i)connect|transport|tls|handshake|certificate"  # what the SDK says of a refusal


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by another CA: a client the server must refuse
    stranger_key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        names = [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usage = ExtendedKeyUsageOID.SERVER_AUTH
    else:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Path:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    ca_key, other_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = _issue("Shenpi test CA", ca_key, None, ca=True)
    other_ca = ("Another CA", other_key)
    keys = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("server", "client", "stranger")}
    server = _issue(SERVER_NAME, keys["server"], ("Shenpi test CA", ca_key), server=True)
    client = _issue("shenpi-worker", keys["client"], ("Shenpi test CA", ca_key))
    stranger = _issue("someone", keys["stranger"], other_ca)
    _write(root / "ca.pem", ca, ca_key)
    return Pki(
        ca=root / "ca.pem",
        server_cert=_write(root / "server.pem", server, keys["server"]),
        server_key=root / "server.key",
        client_cert=_write(root / "client.pem", client, keys["client"]),
        client_key=root / "client.key",
        stranger_cert=_write(root / "stranger.pem", stranger, keys["stranger"]),
        stranger_key=root / "stranger.key",
    )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@pytest_asyncio.fixture
async def tls_endpoint(pki: Pki, temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    """``host:port`` of a TLS server requiring a client certificate from the test CA, in front of
    the session's dev server."""
    target = temporal_env.client.service_client.config.target_host
    host, port = target.rsplit(":", 1)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    address = server.sockets[0].getsockname()
    try:
        yield f"127.0.0.1:{address[1]}"
    finally:
        server.close()


def _settings(endpoint: str, cert: Path, key: Path, ca: Path) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        temporal_address=endpoint,
        temporal_tls=True,
        temporal_tls_cert_file=cert,
        temporal_tls_key_file=key,
        temporal_tls_ca_file=ca,
        temporal_tls_server_name=SERVER_NAME,
    )


async def test_mtls_settings_reach_temporal_through_a_tls_server(
    pki: Pki, tls_endpoint: str
) -> None:
    settings = _settings(tls_endpoint, pki.client_cert, pki.client_key, pki.ca)
    client = await Client.connect(tls_endpoint, namespace="default", **connection_options(settings))
    info = await client.workflow_service.get_system_info(_system_info_request())
    assert info.server_version  # a real answer from the dev server, through TLS


async def test_a_client_certificate_of_another_ca_is_refused(pki: Pki, tls_endpoint: str) -> None:
    settings = _settings(tls_endpoint, pki.stranger_cert, pki.stranger_key, pki.ca)
    with pytest.raises(RuntimeError, match=REFUSED):
        client = await Client.connect(
            tls_endpoint, namespace="default", **connection_options(settings)
        )
        await client.workflow_service.get_system_info(_system_info_request())


async def test_a_server_not_signed_by_the_configured_ca_is_refused(
    pki: Pki, tls_endpoint: str
) -> None:
    # The client trusts only the other CA (the stranger's certificate stands in for its root).
    settings = _settings(tls_endpoint, pki.client_cert, pki.client_key, pki.stranger_cert)
    with pytest.raises(RuntimeError, match=REFUSED):
        client = await Client.connect(
            tls_endpoint, namespace="default", **connection_options(settings)
        )
        await client.workflow_service.get_system_info(_system_info_request())


def _system_info_request() -> GetSystemInfoRequest:
    return GetSystemInfoRequest()
