"""How every Shenpi process reaches Temporal: plain TCP (dev, compose), TLS, mTLS or an API key
(Temporal Cloud). One place, so the API, the worker and the CLI connect alike (docs/running.md)."""

from __future__ import annotations

from typing import Any

from temporalio.service import TLSConfig

from shenpi.settings import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    """``Client.connect``'s ``tls``: False for a plain connection, else the certificates to use."""
    files = (
        settings.temporal_tls_cert_file,
        settings.temporal_tls_key_file,
        settings.temporal_tls_ca_file,
    )
    wanted = settings.temporal_tls or settings.temporal_api_key is not None
    if not wanted and all(f is None for f in files):
        return False
    if all(f is None for f in files) and settings.temporal_tls_server_name is None:
        return True  # the system's CAs, no client certificate (an API key, or server-side TLS)
    cert, key, ca = (f.read_bytes() if f is not None else None for f in files)
    return TLSConfig(
        client_cert=cert,
        client_private_key=key,
        server_root_ca_cert=ca,
        domain=settings.temporal_tls_server_name,
    )


def connection_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``Client.connect`` that say how to reach the server securely."""
    options: dict[str, Any] = {"tls": tls_config(settings)}
    if settings.temporal_api_key is not None:
        options["api_key"] = settings.temporal_api_key
    return options
