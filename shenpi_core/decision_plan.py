"""The compiled form of a DMN file: what ``shenpi_core.decisions`` evaluates.

A ``DecisionPlan`` is to DMN what ``ProcessPlan`` is to BPMN: frozen, JSON-serialisable and
content-hashed, built at deploy time by ``bpmn_compiler.dmn`` with every FEEL expression already
parsed into the FEEL AST (``shenpi_core.feel_parser``), so evaluating it inside a workflow parses
nothing. Decisions, input data and business knowledge models are listed in document order and
refer to each other by id.

This module must stay importable inside the Temporal workflow sandbox: pydantic only.
"""

# Without ``from __future__ import annotations``, unlike the rest of the project: with it,
# pydantic would compile every annotation back from its string when it creates these classes,
# a few milliseconds of every cold ``shenpi compile`` (docs/architecture.md §7).
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DECISION_PLAN_SCHEMA_VERSION = 1

HitPolicy = Literal[
    "UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"
]  # fmt: skip
Aggregation = Literal["SUM", "MIN", "MAX", "COUNT"]


class _Frozen(BaseModel):
    # Built on first use (shenpi_core/plan_models.py).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class LiteralLogic(_Frozen):
    """A FEEL literal expression."""

    kind: Literal["literal"] = "literal"
    source: str
    ast: Any


class TableInput(_Frozen):
    label: str | None = None
    source: str
    ast: Any


class TableOutput(_Frozen):
    name: str | None = None  # the component name when a table has several outputs
    # outputValues, in priority order (PRIORITY, OUTPUT ORDER): FEEL unary tests.
    priorities: tuple[Any, ...] = ()
    default: Any = None  # defaultOutputEntry, a FEEL AST


class Rule(_Frozen):
    id: str | None = None
    tests: tuple[Any, ...]  # one unary-test AST per input
    outputs: tuple[Any, ...]  # one FEEL AST per output


class TableLogic(_Frozen):
    kind: Literal["table"] = "table"
    hit_policy: HitPolicy = "UNIQUE"
    aggregation: Aggregation | None = None
    inputs: tuple[TableInput, ...]
    outputs: tuple[TableOutput, ...]
    rules: tuple[Rule, ...]


class ContextEntry(_Frozen):
    name: str | None  # None: the context's result entry
    logic: "Logic"


class ContextLogic(_Frozen):
    """A boxed context: entries see the entries before them."""

    kind: Literal["context"] = "context"
    entries: tuple[ContextEntry, ...]


class Binding(_Frozen):
    name: str
    logic: "Logic | None" = None  # an unbound parameter is null


class InvocationLogic(_Frozen):
    """A boxed invocation of a business knowledge model."""

    kind: Literal["invocation"] = "invocation"
    function: str
    bindings: tuple[Binding, ...]


class ListLogic(_Frozen):
    kind: Literal["list"] = "list"
    items: "tuple[Logic, ...]"


Logic = Annotated[
    LiteralLogic | TableLogic | ContextLogic | InvocationLogic | ListLogic,
    Field(discriminator="kind"),
]


class Decision(_Frozen):
    id: str
    name: str
    logic: Logic | None  # None: a decision people take (no logic in the file)
    requires_decisions: tuple[str, ...] = ()
    requires_inputs: tuple[str, ...] = ()
    requires_knowledge: tuple[str, ...] = ()
    type_ref: str | None = None


class InputData(_Frozen):
    id: str
    name: str
    type_ref: str | None = None


class Knowledge(_Frozen):
    """A business knowledge model: a function of its parameters."""

    id: str
    name: str
    params: tuple[str, ...]
    logic: Logic
    requires_knowledge: tuple[str, ...] = ()


class DecisionPlan(_Frozen):
    schema_version: int = DECISION_PLAN_SCHEMA_VERSION
    id: str  # the definitions id
    name: str | None = None
    namespace: str | None = None
    decisions: tuple[Decision, ...]
    inputs: tuple[InputData, ...] = ()
    knowledge: tuple[Knowledge, ...] = ()
    hash: str = ""

    def with_hash(self) -> "DecisionPlan":
        body = self.model_dump(mode="json", exclude={"hash"})
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        return self.model_copy(update={"hash": digest})

    def decision(self, ref: str) -> Decision | None:
        """The decision with this id, else the one with this name (names are unique in a plan)."""
        by_id = next((d for d in self.decisions if d.id == ref), None)
        return by_id or next((d for d in self.decisions if d.name == ref), None)


# The recursive models are built here, where their module's names are at hand: built on first use
# inside the workflow sandbox, they could not find ``Logic`` (the sandbox's ``sys.modules`` is its
# own, without the plan modules it passes through).
for _model in (ContextEntry, ContextLogic, Binding, InvocationLogic, ListLogic):
    _model.model_rebuild()
