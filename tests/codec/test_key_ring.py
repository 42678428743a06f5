"""The key ring and the settings around it: parsing, rotation order, refusals."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from shenpi.payload_codec import ENCODING, KEY_ID_METADATA, EncryptionCodec
from shenpi.payload_keys import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    UnknownKeyError,
    load_or_create_dev_keys,
)
from shenpi.settings import Settings
from tests.codec.support import NEW_KEY, OLD_KEY, ring


def test_first_key_encrypts_and_every_key_decrypts() -> None:
    old, rotated = ring(OLD_KEY), ring(NEW_KEY, OLD_KEY)
    key_id, sealed = old.encrypt(b"secret")

    assert key_id == "k-old"
    assert rotated.decrypt(key_id, sealed) == b"secret"
    assert rotated.encrypt(b"x")[0] == "k-new"


def test_unknown_key_id_is_a_clear_error() -> None:
    key_id, sealed = ring(OLD_KEY).encrypt(b"secret")

    with pytest.raises(UnknownKeyError, match="'k-old', which is not in the key ring"):
        ring(NEW_KEY).decrypt(key_id, sealed)


def test_altered_ciphertext_does_not_authenticate() -> None:
    key_id, sealed = ring(OLD_KEY).encrypt(b"secret")

    with pytest.raises(DecryptionError):
        ring(OLD_KEY).decrypt(key_id, sealed[:-1] + bytes([sealed[-1] ^ 1]))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "at least one key"),
        ("nocolon", "id:base64key"),
        ("k:not base64!", "not valid base64"),
        (f"k:{base64.b64encode(b'short').decode()}", "AES-256 needs 32"),
        (f"{OLD_KEY},{OLD_KEY}", "appears twice"),
    ],
)
def test_malformed_key_rings_are_refused(text: str, problem: str) -> None:
    with pytest.raises(KeyRingError, match=problem):
        KeyRing.parse(text)


def test_key_file_takes_newlines_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-12\n{NEW_KEY}\n{OLD_KEY}\n")

    settings = Settings(_env_file=None, env="test", payload_keys_file=path)

    assert settings.payload_key_ring() is not None
    assert settings.payload_key_ring().key_ids == ("k-new", "k-old")  # type: ignore[union-attr]


async def test_codec_round_trips_and_passes_plain_payloads_untouched() -> None:
    codec = EncryptionCodec(ring(OLD_KEY))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"amount": 1260}')

    [encrypted] = await codec.encode([plain])

    assert encrypted.metadata["encoding"] == ENCODING
    assert encrypted.metadata[KEY_ID_METADATA] == b"k-old"
    assert b"1260" not in encrypted.data
    assert await codec.decode([encrypted, plain]) == [plain, plain]


def test_production_refuses_to_start_without_a_key() -> None:
    with pytest.raises(ValidationError, match="SHENPI_PAYLOAD_ENCRYPTION=off"):
        Settings(_env_file=None, env="production", jwt_secret="x" * 32)


def test_production_runs_with_a_key_or_explicitly_without() -> None:
    with_key = Settings(_env_file=None, env="production", jwt_secret="x" * 32, payload_keys=OLD_KEY)
    off = Settings(_env_file=None, env="production", jwt_secret="x" * 32, payload_encryption="off")

    assert with_key.payload_key_ring() is not None
    assert off.payload_key_ring() is None


def test_malformed_or_missing_configured_keys_fail_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not valid base64"):
        Settings(_env_file=None, env="test", payload_keys="k:???")
    with pytest.raises(ValidationError, match="cannot read"):
        Settings(_env_file=None, env="test", payload_keys_file=tmp_path / "missing")


def test_dev_key_is_created_once_in_the_data_dir(tmp_path: Path) -> None:
    first = load_or_create_dev_keys(tmp_path).read_text()
    again = load_or_create_dev_keys(tmp_path).read_text()

    assert first == again
    assert (tmp_path / "payload-keys").stat().st_mode & 0o777 == 0o600
    assert Settings(_env_file=None, env="dev", data_dir=tmp_path).payload_key_ring() is not None
    assert (
        Settings(_env_file=None, env="test", data_dir=tmp_path / "none").payload_key_ring() is None
    )
