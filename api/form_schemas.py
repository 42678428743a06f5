"""Response models of deployed forms and of a task with the form it shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shenpi_core.contracts import TaskView
from shenpi_core.task_forms import TaskForm


class FormDefinitionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    form_id: str
    version: int
    hash: str
    name: str | None = None
    fields: list[str]  # the variables it writes
    deployed_by: str
    deployed_at: datetime


class FormDefinitionsPublic(BaseModel):
    data: list[FormDefinitionPublic]
    count: int


class TaskWithForm(TaskView):
    # The form the task shows: a Camunda Form (embedded in the file or deployed and linked by
    # id), generated fields, or the key of a form that lives elsewhere; None: the task has none.
    form: TaskForm | None = None
