"""Idempotent Temporal set-up shared by the worker and the CLI: the Shenpi search attributes."""

from __future__ import annotations

import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from shenpi_core import search_attributes

log = logging.getLogger(__name__)

_INDEXED_TYPE = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    SearchAttributeIndexedValueType.DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the Shenpi search attributes that are missing; return the names it added.

    Safe to run on every boot and from several processes at once: a concurrent registration
    ("already exists") counts as success.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as err:
        if err.status == RPCStatusCode.PERMISSION_DENIED:
            # Temporal Cloud keeps namespace settings out of a worker's reach: the operator
            # creates the attributes (docs/running.md), and a start names any that is missing.
            log.warning(
                "cannot check Shenpi's search attributes (%s); create them first: %s",
                err.message,
                ", ".join(f"{k.name} ({k.indexed_value_type.name})" for k in search_attributes.ALL),
            )
            return []
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()  # the time-skipping test server can add but not list them
    missing: dict[str, IndexedValueType.ValueType] = {
        key.name: _INDEXED_TYPE[key.indexed_value_type]
        for key in search_attributes.ALL
        if key.name not in existing
    }
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    except RPCError as err:
        if err.status != RPCStatusCode.ALREADY_EXISTS and "already" not in err.message.lower():
            raise
    return sorted(missing)
