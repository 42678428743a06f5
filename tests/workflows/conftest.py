"""Fixtures for interpreter tests: a worker on a fresh task queue of the real dev server, and the
time-skipping server with the Shenpi search attributes registered (the interpreter upserts them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi.settings import Settings
from shenpi.temporal_setup import ensure_search_attributes
from tests.workflows.approval_support import fake_directory
from tests.workflows.multi_support import multi_activities
from tests.workflows.support import fake_activities, settings_for_tests
from worker import build_worker


@pytest_asyncio.fixture(scope="session")
async def skipping_env(time_skipping_env: WorkflowEnvironment) -> WorkflowEnvironment:
    await ensure_search_attributes(time_skipping_env.client, "default")
    return time_skipping_env


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """The production worker (interpreter + registry) and the test activities, on the dev server."""
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=fake_activities(),
    ) as running:
        yield running


@pytest_asyncio.fixture
async def approval_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """The production worker with the test directory (a small org chart, approval_support)."""
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=[*fake_activities(), fake_directory],
    ) as running:
        yield running


@pytest_asyncio.fixture
async def multi_worker(client: Client, task_queue: str, tmp_path: Any) -> AsyncIterator[Settings]:
    """The production worker with the multi-instance fixtures' activities (multi_support)."""
    settings = settings_for_tests(data_dir=tmp_path)
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings,
        extra_activities=[*fake_activities(), *multi_activities()],
    ):
        yield settings


@pytest_asyncio.fixture
async def skipping_worker(
    skipping_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[Worker]:
    async with build_worker(
        skipping_env.client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=fake_activities(),
    ) as running:
        yield running
