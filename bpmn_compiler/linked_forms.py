"""Forms a process links to by id, resolved when the process is deployed (docs/compiler.md "Forms").

A ``zeebe:formDefinition formId`` or ``camunda:formRef`` names a Camunda Form deployed on its own
(``POST /definitions`` with the form's JSON). The deploy route hands the compiler the latest
version of each form the file links to; the plan then holds that form whole (``TaskForm.
camunda_form``, ``form_version``) and its fields are what a decision on the task may write. So a
process version pins the form versions it was deployed with, every instance of it shows the same
forms, and the workflow checks decisions against its own plan, as for every other declaration.
A form deployed again is taken up by the process's next deploy.
"""

from __future__ import annotations

from collections.abc import Mapping

from bpmn_compiler.forms import schema_variables
from bpmn_compiler.model import BpmnModel
from shenpi_core.task_forms import DeployedForm


def resolve_linked_forms(model: BpmnModel, forms: Mapping[str, DeployedForm]) -> None:
    """Put each deployed form a user task links to into its form and its declared variables."""
    for node in model.nodes.values():
        form = node.ext.form
        if form is None or form.form_id is None or form.camunda_form is not None:
            continue
        deployed = forms.get(form.form_id)
        if deployed is None:
            continue
        node.ext.form = form.model_copy(
            update={"camunda_form": deployed.schema, "form_version": deployed.version}
        )
        node.ext.variables = [*node.ext.variables, *schema_variables(deployed.schema, node.line)]


def unresolved_forms(model: BpmnModel) -> tuple[str, ...]:
    """The ids of the forms the file links to that it was not given, sorted."""
    return tuple(
        sorted(
            {
                n.ext.form.form_id
                for n in model.nodes.values()
                if n.ext.form is not None
                and n.ext.form.form_id is not None
                and n.ext.form.camunda_form is None
            }
        )
    )
