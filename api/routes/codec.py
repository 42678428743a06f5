"""The codec server of the Temporal UI and CLI: Temporal's remote codec protocol over the key ring.

``POST /codec/encode`` and ``POST /codec/decode`` take and return ``Payloads`` in protobuf JSON
(``{"payloads": [{"metadata": {k: base64}, "data": base64}]}``). Callers sign in with the API's
own bearer tokens; decode reveals request content, so it is for admins only (docs/security.md).
The dev variant carries the token in the path, because the dev server's UI has no sign-in to pass
a token from; it exists only under env=dev.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from api.deps import AdminDep, PrincipalDep, SettingsDep
from api.errors import ApiError
from shenpi.auth_tokens import Principal, verify_token
from shenpi.payload_codec import EncryptionCodec

router = APIRouter(prefix="/codec", tags=["codec"])


class CodecPayload(BaseModel):
    """One ``temporal.api.common.v1.Payload`` in protobuf JSON: bytes as base64."""

    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class CodecPayloads(BaseModel):
    payloads: list[CodecPayload] = Field(default_factory=list)


def _namespace(settings: SettingsDep, x_namespace: Annotated[str | None, Header()] = None) -> None:
    # The UI names the namespace of what it shows; this server holds the keys of one namespace.
    if x_namespace not in (None, "", settings.temporal_namespace):
        raise ApiError(404, "unknown_namespace", f"no codec for namespace {x_namespace!r}")


NamespaceDep = Depends(_namespace)


def _codec(request: Request) -> EncryptionCodec | None:
    codec: EncryptionCodec | None = request.app.state.payload_codec
    return codec


@router.post("/encode", dependencies=[NamespaceDep])
async def encode(body: CodecPayloads, request: Request, _: PrincipalDep) -> CodecPayloads:
    """Encrypt payloads with the current key (unchanged when encryption is off)."""
    return await _apply(body, _codec(request), decode=False)


@router.post("/decode", dependencies=[NamespaceDep])
async def decode(body: CodecPayloads, request: Request, _: AdminDep) -> CodecPayloads:
    """Decrypt payloads (admins only); payloads that are not encrypted come back unchanged."""
    return await _apply(body, _codec(request), decode=True)


def _path_principal(token: str, settings: SettingsDep) -> Principal:
    if settings.env != "dev":
        raise ApiError(404, "not_found", "the token-in-path codec exists only under `shenpi dev`")
    principal = verify_token(token, settings)
    if not principal.is_admin:
        raise ApiError(403, "forbidden", f"this needs membership of {settings.admin_group!r}")
    return principal


@router.post("/dev/{token}/{operation}", include_in_schema=False, dependencies=[NamespaceDep])
async def dev_codec(
    operation: str,
    body: CodecPayloads,
    request: Request,
    _: Annotated[Principal, Depends(_path_principal)],
) -> CodecPayloads:
    if operation not in ("encode", "decode"):
        raise ApiError(404, "not_found", "the codec answers /encode and /decode")
    return await _apply(body, _codec(request), decode=operation == "decode")


async def _apply(
    body: CodecPayloads, codec: EncryptionCodec | None, *, decode: bool
) -> CodecPayloads:
    payloads = [_to_proto(p) for p in body.payloads]
    if codec is not None:
        payloads = await (codec.decode(payloads) if decode else codec.encode(payloads))
    return CodecPayloads(payloads=[_to_json(p) for p in payloads])


def _to_proto(payload: CodecPayload) -> Payload:
    try:
        return Payload(
            metadata={k: base64.b64decode(v, validate=True) for k, v in payload.metadata.items()},
            data=base64.b64decode(payload.data, validate=True),
        )
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_payload", "payload metadata and data must be base64") from None


def _to_json(payload: Payload) -> CodecPayload:
    return CodecPayload(
        metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        data=base64.b64encode(payload.data).decode(),
    )
