"""Request content at rest in the app database, encrypted with the payload key ring.

The archive (final states, decided requests, comments) and AI transcripts hold what Temporal's
payloads hold, so they get the same AES-256-GCM keys (docs/security.md). Values are sealed in
their own columns, so the schema is unchanged and rows written before encryption (or with it
off) are read as they are:

- a JSON column holds ``{"$sealed": "<key id>", "data": "<base64>"}`` in place of the value;
- a text column holds ``$sealed:<key id>:<base64>``.

The sealer rides in the session's ``info`` (``create_sessionmaker(engine, ring)``), so the
repositories need no extra argument; a session without one writes plain and refuses to guess
at sealed rows.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.payload_keys import KeyRing, UnknownKeyError

SEALED = "$sealed"
_TEXT_PREFIX = SEALED + ":"
_INFO_KEY = "shenpi.sealer"


class Sealer:
    """Seal with the ring's current key; open with the key a value names; None: plain."""

    def __init__(self, ring: KeyRing | None) -> None:
        self.ring = ring

    def seal_json(self, value: Any) -> Any:
        if self.ring is None or value is None:
            return value
        key_id, data = _seal(self.ring, json.dumps(value, ensure_ascii=False).encode())
        return {SEALED: key_id, "data": data}

    def open_json(self, stored: Any) -> Any:
        if not (isinstance(stored, dict) and SEALED in stored):
            return stored
        return json.loads(self._open(str(stored[SEALED]), str(stored["data"])))

    def seal_text(self, text: str | None) -> str | None:
        if self.ring is None or text is None:
            return text
        key_id, data = _seal(self.ring, text.encode())
        return f"{_TEXT_PREFIX}{key_id}:{data}"

    def open_text(self, stored: str | None) -> str | None:
        if stored is None or not stored.startswith(_TEXT_PREFIX):
            return stored
        key_id, _, data = stored[len(_TEXT_PREFIX) :].partition(":")
        return self._open(key_id, data).decode()

    @staticmethod
    def key_of(stored: Any) -> str | None:
        """The id of the key a stored value is sealed with; None: stored in clear."""
        if isinstance(stored, dict) and SEALED in stored:
            return str(stored[SEALED])
        if isinstance(stored, str) and stored.startswith(_TEXT_PREFIX):
            return stored[len(_TEXT_PREFIX) :].partition(":")[0]
        return None

    def _open(self, key_id: str, data: str) -> bytes:
        if self.ring is None:
            raise UnknownKeyError(
                f"a row of the app database is encrypted with key {key_id!r}, and no key ring"
                " is configured (SHENPI_PAYLOAD_KEYS or SHENPI_PAYLOAD_KEYS_FILE)"
            )
        return self.ring.decrypt(key_id, base64.b64decode(data))


def _seal(ring: KeyRing, plaintext: bytes) -> tuple[str, str]:
    key_id, sealed = ring.encrypt(plaintext)
    return key_id, base64.b64encode(sealed).decode()


def session_info(ring: KeyRing | None) -> dict[str, Any]:
    """The ``info`` of sessions that seal with ``ring``."""
    return {_INFO_KEY: Sealer(ring)}


def sealer_of(session: AsyncSession) -> Sealer:
    sealer = session.info.get(_INFO_KEY)
    return sealer if isinstance(sealer, Sealer) else Sealer(None)
