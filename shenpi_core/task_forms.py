"""The form a user task shows, as the plan keeps it (docs/compiler.md "Forms").

Written in any dialect the compiler reads: a Camunda Form (form-js JSON) embedded in the file
(``zeebe:userTaskForm``) or deployed on its own and linked by form id (``zeebe:formDefinition
formId``, ``camunda:formRef``), generated fields (``camunda:formField``, ``flowable:
formProperty``), or a key naming a form that lives elsewhere (``camunda:formKey``, ``flowable:
formKey``). The API serves it with the task; a decision may write the fields it declares.
Pydantic only: importable inside the workflow sandbox, like the rest of the plan.
"""

# Without ``from __future__ import annotations``, unlike the rest of the project: with it,
# pydantic would compile every annotation back from its string when it creates these classes,
# a few milliseconds of every cold ``shenpi compile`` (docs/architecture.md §7).
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    # Built on first use (shenpi_core/plan_models.py).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class FormValue(_Frozen):
    """One choice of an enum field (``<camunda:value id name>``, ``<flowable:value>``)."""

    id: str
    name: str | None = None


class FormField(_Frozen):
    """A generated field, as Camunda 7 and Flowable write them."""

    id: str
    label: str | None = None
    type: str = "string"  # as written: string, long, double, boolean, date, enum, ...
    default: str | None = None
    required: bool = False
    writable: bool = True  # flowable:formProperty writable="false", camunda readonly constraint
    values: tuple[FormValue, ...] = ()


class TaskForm(_Frozen):
    # A Camunda Form (form-js schema): embedded in the file, or the deployed form ``form_id``
    # as it was when this process version was deployed (``form_version``).
    camunda_form: dict[str, Any] | None = None
    form_id: str | None = None  # zeebe formId / camunda formRef: a form deployed on its own
    form_version: int | None = None
    key: str | None = None  # a formKey naming a form outside Shenpi, as written
    fields: tuple[FormField, ...] = Field(default=())


class FormPlan(_Frozen):
    """A Camunda Form deployed on its own (``POST /definitions`` with its JSON): versioned by
    ``form_id`` like processes, linked from user tasks by that id."""

    form_id: str
    name: str | None = None
    camunda_form: dict[str, Any]
    fields: tuple[str, ...] = ()  # the variables it writes, for listing
    hash: str = ""


@dataclass(frozen=True)
class DeployedForm:
    """The version of a deployed form a process links to, as its deploy hands it the compiler."""

    form_id: str
    version: int
    schema: dict[str, Any]
