"""Callbacks of AI providers that answer later (async activity completion; being built: issue 4)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ai"])
