"""A user task's form is kept in the plan in every dialect, and a linked form resolves at deploy."""

from __future__ import annotations

import json

import pytest

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.camunda_forms import compile_form
from shenpi_core.process_plan import UserTask
from shenpi_core.task_forms import DeployedForm, FormField, FormValue, TaskForm

NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
    ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
    ' xmlns:flowable="http://flowable.org/bpmn"'
)
MISSING = "camunda-forms:bpmn:No"  # names an embedded form the file does not hold
EMBEDDED = {"id": "ReviewForm", "components": [{"type": "number", "key": "amount"}]}


def _process(task: str, process_extensions: str = "") -> bytes:
    return (
        f'<definitions {NAMESPACES} targetNamespace="t"><process id="p" isExecutable="true">'
        f"<extensionElements>{process_extensions}</extensionElements>"
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        f'{task}<sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    ).encode()


def _task(extensions: str = "", attributes: str = "") -> str:
    return (
        f'<userTask id="t" camunda:assignee="alice" {attributes}>'
        f"<extensionElements>{extensions}</extensionElements></userTask>"
    )


def _user_task(xml: bytes, **kwargs: object) -> UserTask:
    node = compile_bpmn(xml, **kwargs).plan.node("t")  # type: ignore[arg-type]
    assert isinstance(node, UserTask)
    return node


def test_an_embedded_camunda_form_is_kept_whole() -> None:
    xml = _process(
        _task('<zeebe:formDefinition formKey="camunda-forms:bpmn:ReviewForm"/>'),
        f'<zeebe:userTaskForm id="ReviewForm">{json.dumps(EMBEDDED)}</zeebe:userTaskForm>',
    )
    task = _user_task(xml)
    assert task.form == TaskForm(camunda_form=EMBEDDED)
    assert [v.name for v in task.variables] == ["amount"]


def test_generated_fields_keep_labels_choices_and_constraints() -> None:
    camunda = (
        '<camunda:formData><camunda:formField id="level" label="Level" type="enum"'
        ' defaultValue="low"><camunda:value id="low" name="Low"/>'
        '<camunda:validation><camunda:constraint name="required"/>'
        '<camunda:constraint name="readonly"/></camunda:validation>'
        "</camunda:formField></camunda:formData>"
    )
    flowable = (
        '<flowable:formProperty id="total" name="Total" type="long" required="true"'
        ' writable="false"/>'
    )
    task = _user_task(_process(_task(camunda + flowable)))
    assert task.form == TaskForm(
        fields=(
            FormField(
                id="level",
                label="Level",
                type="enum",
                default="low",
                required=True,
                writable=False,
                values=(FormValue(id="low", name="Low"),),
            ),
            FormField(id="total", label="Total", type="long", required=True, writable=False),
        )
    )
    # Neither may a decision write: a read-only Camunda field, a non-writable Flowable property.
    assert task.variables == ()


@pytest.mark.parametrize(
    ("extensions", "attributes", "expected"),
    [
        ("", 'camunda:formKey="app:review.html"', TaskForm(key="app:review.html")),
        ("", 'camunda:formRef="invoice"', TaskForm(form_id="invoice")),
        ("", 'flowable:formKey="holiday"', TaskForm(key="holiday")),
        ('<zeebe:formDefinition externalReference="x.html"/>', "", TaskForm(key="x.html")),
        ('<zeebe:formDefinition formKey="app:no"/>', "", TaskForm(key="app:no")),
        ('<zeebe:formDefinition formKey="camunda-forms:bpmn:No"/>', "", TaskForm(key=MISSING)),
    ],
)  # fmt: skip
def test_a_form_kept_elsewhere_is_named(
    extensions: str, attributes: str, expected: TaskForm
) -> None:
    assert _user_task(_process(_task(extensions, attributes))).form == expected


def test_a_task_without_a_form_has_none() -> None:
    assert _user_task(_process(_task())).form is None


def test_a_linked_form_resolves_at_deploy_to_the_version_given() -> None:
    xml = _process(_task('<zeebe:formDefinition formId="approval"/>'))
    alone = compile_bpmn(xml)
    deployed = DeployedForm("approval", 3, {"id": "approval", "components": [{"key": "remark"}]})
    resolved = compile_bpmn(xml, forms={"approval": deployed})
    task = resolved.plan.node("t")
    assert alone.linked_forms == ("approval",)
    assert [w.code for w in alone.warnings] == ["form-fields-unknown"]
    assert resolved.linked_forms == () and resolved.warnings == []
    assert isinstance(task, UserTask) and task.form is not None
    assert (task.form.form_id, task.form.form_version) == ("approval", 3)
    assert task.form.camunda_form == deployed.schema
    assert [v.name for v in task.variables] == ["remark"]
    assert resolved.plan.hash != alone.plan.hash  # the process version pins the form


def test_a_camunda_form_file_compiles_to_its_fields_and_a_stable_hash() -> None:
    form = {"id": "f", "name": "Review", "components": [{"type": "textfield", "key": "note"}]}
    plan = compile_form(json.dumps(form).encode()).plan
    reordered = compile_form(json.dumps(dict(reversed(form.items()))).encode()).plan
    assert (plan.form_id, plan.name, plan.fields) == ("f", "Review", ("note",))
    assert plan.hash == reordered.hash


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<xml/>", "form-json"),
        (b"[1, 2]", "form-json"),
        (b'{"id": "\\ud958", "components": []}', "form-json"),
        (b'{"id": "f", "components": [' + b"[" * 100 + b"]" * 100 + b"]}", "form-json"),
        (b'{"components": []}', "form-id"),
        (b'{"id": "", "components": []}', "form-id"),
        (b'{"id": "f"}', "form-components"),
        (b'{"id": "f", "components": {}}', "form-components"),
    ],
)
def test_a_file_that_is_not_a_camunda_form_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(CompileError) as err:
        compile_form(data)
    assert [d.code for d in err.value.diagnostics] == [code]


def test_a_form_over_the_size_limit_is_refused() -> None:
    with pytest.raises(CompileError) as err:
        compile_form(b'{"id": "f", "components": []}', max_bytes=10)
    assert [d.code for d in err.value.diagnostics] == ["too-large"]
