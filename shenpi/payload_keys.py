"""The AES-256-GCM key ring that encrypts Temporal payloads and the app database's content.

A ring is an ordered list of named 256-bit keys: the first encrypts, every key decrypts, so a
rotation puts a new key first and keeps the old ones until nothing encrypted with them remains
(docs/security.md). Written as ``id:base64key`` entries separated by commas or newlines, the form
of ``SHENPI_PAYLOAD_KEYS`` and of a key file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per message (2^32 messages per key stay safe)
DEV_KEY_FILE = "payload-keys"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class KeyRingError(ValueError):
    """A key ring that cannot be used: malformed entry, wrong key length, duplicate id."""


class UnknownKeyError(LookupError):
    """Data encrypted with a key the ring does not hold (removed too early, or another ring)."""


class DecryptionError(ValueError):
    """The ciphertext does not authenticate under its key: altered, truncated or another key."""


@dataclass(frozen=True)
class PayloadKey:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never print key material
        return f"PayloadKey(id={self.id!r})"


class KeyRing:
    """Encrypt with the first key; decrypt with the key the data names."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise KeyRingError("a key ring needs at least one key")
        seen: set[str] = set()
        for key in keys:
            if key.id in seen:
                raise KeyRingError(f"key id {key.id!r} appears twice in the key ring")
            seen.add(key.id)
        self._keys = tuple(keys)
        self._ciphers = {k.id: AESGCM(k.secret) for k in keys}

    @classmethod
    def parse(cls, text: str, *, source: str = "key ring") -> KeyRing:
        """``id:base64key`` entries separated by commas or newlines; ``#`` starts a comment."""
        entries = [
            e.strip()
            for line in text.splitlines()
            for e in line.split("#", 1)[0].split(",")
            if e.strip()
        ]
        return cls([_parse_entry(e, source) for e in entries])

    @property
    def current(self) -> PayloadKey:
        return self._keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self._keys)

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext + tag) under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        key = self.current
        return key.id, nonce + self._ciphers[key.id].encrypt(nonce, plaintext, None)

    def decrypt(self, key_id: str, sealed: bytes) -> bytes:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(
                f"data encrypted with key {key_id!r}, which is not in the key ring"
                f" (ring holds: {', '.join(self.key_ids)}); keep old keys after the first"
                " until nothing encrypted with them remains"
            )
        try:
            return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], None)
        except InvalidTag:
            raise DecryptionError(f"data under key {key_id!r} does not authenticate") from None


def _parse_entry(entry: str, source: str) -> PayloadKey:
    key_id, sep, encoded = entry.partition(":")
    key_id = key_id.strip()
    if not sep or not _KEY_ID.match(key_id):
        raise KeyRingError(
            f"{source}: expected id:base64key entries, got {entry[:12]!r}..."
            " (id: letters, digits, . _ -)"
        )
    try:
        secret = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"{source}: key {key_id!r} is not valid base64") from None
    if len(secret) != KEY_BYTES:
        raise KeyRingError(
            f"{source}: key {key_id!r} has {len(secret)} bytes, AES-256 needs {KEY_BYTES}"
        )
    return PayloadKey(key_id, secret)


def new_key_entry(key_id: str) -> str:
    """A fresh random key as a ring entry: ``shenpi keys new`` and the dev key file."""
    if not _KEY_ID.match(key_id):
        raise KeyRingError(f"invalid key id {key_id!r} (letters, digits, . _ -)")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def load_key_file(path: Path) -> KeyRing:
    return KeyRing.parse(path.read_text(), source=str(path))


def load_or_create_dev_keys(data_dir: Path) -> Path:
    """``<data_dir>/payload-keys`` (mode 0600), holding one new key on first use; its path."""
    path = data_dir / DEV_KEY_FILE
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    # Write privately, then hard-link into place: of two processes racing, both keep the winner's.
    tmp = data_dir / f".{DEV_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new_key_entry(f"dev-{secrets.token_hex(4)}") + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
