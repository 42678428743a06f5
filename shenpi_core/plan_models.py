"""Building the plan models ahead of their first use, in the processes that run plans.

The models of the compiled plans (process, decision and form plans) are declared with
``defer_build``: pydantic builds a model's validator and serializer when it is first used rather
than when its class is created. A cold ``shenpi compile`` then builds only the models its file
uses: a DMN or form file never builds the process plan's (docs/architecture.md §7). The
processes that run plans build them all once: the workflows when they are imported
(``workflows/instance.py``, outside the sandbox), so no build runs inside the workflow sandbox or
counts against a task's deadline, and the API before its first request.
"""

from __future__ import annotations

from pydantic import BaseModel

from shenpi_core import decision_plan, process_plan, task_forms

PLAN_MODULES = (process_plan, decision_plan, task_forms)


def plan_models() -> list[type[BaseModel]]:
    """Every public model class the plan modules declare (their private bases are never used
    on their own)."""
    return [
        value
        for module in PLAN_MODULES
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    ]


def build_plan_models() -> None:
    """Build every plan model not built yet (pydantic serialises concurrent builds)."""
    for model in plan_models():
        model.model_rebuild()
