"""BPMN 2.0 → ``ProcessPlan``: a pipeline of pure passes (parse → check → plan).

Importing this package is cheap (pydantic models only); XML and grammar machinery load on the first
``compile_bpmn`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bpmn_compiler.native import choose

# The compiled modules, when built and current, are found before these sources: the first lines
# of the package, so every module below comes from the build chosen (docs/architecture.md §7).
BUILD = choose(Path(__file__).resolve().parent.parent)
if BUILD.folder is not None:
    __path__.insert(0, str(BUILD.folder))

from bpmn_compiler.diagnostics import CompileError, Diagnostic  # noqa: E402
from bpmn_compiler.result import CompileResult  # noqa: E402
from shenpi_core.process_plan import ProcessPlan  # noqa: E402

if TYPE_CHECKING:
    from shenpi_core.task_forms import DeployedForm

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

__all__ = ["CompileError", "CompileResult", "Diagnostic", "ProcessPlan", "compile_bpmn"]


def compile_bpmn(
    xml: bytes,
    *,
    source: str = "<upload>",
    max_bytes: int = DEFAULT_MAX_BYTES,
    forms: Mapping[str, DeployedForm] | None = None,
) -> CompileResult:
    """Compile one BPMN file into a hashed plan plus warnings.

    ``forms``: deployed Camunda Forms by id, for the user tasks that link one (the result's
    ``linked_forms`` names those the file links to and was not given).

    Raises ``CompileError`` carrying every diagnostic (errors and warnings) when the file has an
    error: unreadable or unsafe XML, an unsupported construct, or a failed check.
    """
    run = _PIPELINE[0] if _PIPELINE else _pipeline()
    return run(xml, source=source, max_bytes=max_bytes, forms=forms)


# The pipeline, imported on the first compile (an import statement on every call looks the
# module up again, a few microseconds per compile).
_PIPELINE: list[Callable[..., CompileResult]] = []


def _pipeline() -> Callable[..., CompileResult]:
    from bpmn_compiler.pipeline import compile_bpmn as run

    _PIPELINE.append(run)
    return run
