"""``validated(Model, data)``: ``Model.model_validate(data)``, straight to pydantic-core.

The compiler builds a few hundred small frozen models per file (plan nodes, flows, expressions,
diagnostics); pydantic's Python wrapper around its validator cost a third of each. Calling the
model's own ``SchemaValidator`` runs the same checks and gives the same instance
(docs/benchmarks.md "Compiling the real-world corpus").
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: dict[str, object]) -> M:
    built: M = model.__pydantic_validator__.validate_python(data)
    return built
