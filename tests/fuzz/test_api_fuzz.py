"""Property-based fuzzing of every operation in the OpenAPI schema, against the running API.

Schemathesis generates valid and invalid requests from `/openapi.json` (fixed seed, bounded
examples, so a run is reproducible and fits in CI) and checks that no answer is a 5xx and that
every status is one the schema documents. The API runs with a worker on the real dev server.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.api.conftest import Stack

SEED = 20261202
# Examples per operation: enough to find the malformed paths and bodies, small enough for CI.
MAX_EXAMPLES = int(os.environ.get("SHENPI_FUZZ_EXAMPLES", "12"))
RUN_BUDGET_SECONDS = 600


async def test_no_operation_answers_a_5xx_or_an_undocumented_status(
    stack: Stack, tmp_path: Path
) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    token = stack.token("fuzzer", ["admin"])  # an admin reaches every route's deeper checks
    process = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "run",
        f"{stack.base_url}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--max-time",
        str(RUN_BUDGET_SECONDS),
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
    )
    output, _ = await process.communicate()
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text[-8000:]
