"""Key rings and encrypting clients for the payload-encryption tests."""

from __future__ import annotations

from temporalio.client import Client

from shenpi.payload_codec import data_converter_for
from shenpi.payload_keys import KeyRing, new_key_entry

OLD_KEY = new_key_entry("k-old")
NEW_KEY = new_key_entry("k-new")


def ring(*entries: str) -> KeyRing:
    return KeyRing.parse(",".join(entries))


def encrypting(client: Client, key_ring: KeyRing) -> Client:
    """The same connection as ``client``, encrypting with ``key_ring``."""
    config = client.config()
    config["data_converter"] = data_converter_for(key_ring)
    return Client(**config)
