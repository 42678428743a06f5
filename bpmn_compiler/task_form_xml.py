"""Parse helper: a user task's form, in every dialect the compiler reads → ``TaskForm``.

- Camunda 8: ``<zeebe:formDefinition formKey="camunda-forms:bpmn:<id>">`` naming a
  ``<zeebe:userTaskForm>`` of the file (the form-js JSON is kept whole), ``formId="<id>"`` linking
  a form deployed on its own (resolved at deploy, ``linked_forms``), ``externalReference`` or
  another ``formKey`` (kept as written);
- Camunda 7: ``camunda:formKey`` (kept), ``camunda:formRef`` (a linked form id), and generated
  ``<camunda:formData><camunda:formField id label type defaultValue>`` with ``<camunda:value>``
  choices and ``required`` / ``readonly`` constraints;
- Flowable / Activiti: ``flowable:formKey`` (kept) and ``<flowable:formProperty id name type
  default required writable>`` with ``<flowable:value>`` choices.

What a decision may write is read by ``forms.read_variables``; this keeps what the task shows.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.dialects import ext_children
from bpmn_compiler.forms import (
    EMBEDDED_FORM_PREFIX,
    ZEEBE_FORM_DEFINITION,
    camunda_constraints,
    embedded_form,
    form_schema,
)
from bpmn_compiler.memo import extension_index, vendor_attributes
from bpmn_compiler.model import ACTIVITI_NS, CAMUNDA_NS, FLOWABLE_NS
from shenpi_core.task_forms import FormField, FormValue, TaskForm

Element = etree._Element

_KEY_NAMESPACES = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_KEY_ATTRIBUTES = tuple((f"{{{ns}}}formKey", f"{{{ns}}}formRef") for ns in _KEY_NAMESPACES)


def read_form(el: Element) -> TaskForm | None:
    """The form of ``el`` (a user task), or None when it names none."""
    index, attrs = extension_index(el), vendor_attributes(el)
    if not index and not attrs:
        return None  # most tasks: nothing in any dialect names a form
    camunda_form, form_id, key = None, None, None
    for definition in index.get(ZEEBE_FORM_DEFINITION, ()):
        written = (definition.get("formKey") or "").strip()
        form = embedded_form(el, written) if written.startswith(EMBEDDED_FORM_PREFIX) else None
        camunda_form = camunda_form or (form_schema(form) if form is not None else None)
        form_id = form_id or _text(definition.get("formId"))
        key = key or _text(definition.get("externalReference"))
        key = key or (written if form is None else None) or None
    for key_attr, ref_attr in _KEY_ATTRIBUTES:
        key = key or _text(attrs.get(key_attr))
        form_id = form_id or _text(attrs.get(ref_attr))
    fields = _camunda_fields(el) + _flowable_fields(el)
    if camunda_form is None and form_id is None and key is None and not fields:
        return None
    return TaskForm(camunda_form=camunda_form, form_id=form_id, key=key, fields=tuple(fields))


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _camunda_fields(el: Element) -> list[FormField]:
    found = []
    for field in ext_children(el, CAMUNDA_NS, "formField"):
        constraints = camunda_constraints(field)
        found.append(
            FormField(
                id=(field.get("id") or "").strip(),
                label=_text(field.get("label")),
                type=_text(field.get("type")) or "string",
                default=field.get("defaultValue"),
                required="required" in constraints,
                writable="readonly" not in constraints,
                values=_values(field, CAMUNDA_NS),
            )
        )
    return found


def _flowable_fields(el: Element) -> list[FormField]:
    found = []
    for ns in (FLOWABLE_NS, ACTIVITI_NS):
        for prop in ext_children(el, ns, "formProperty"):
            found.append(
                FormField(
                    id=(prop.get("id") or "").strip(),
                    label=_text(prop.get("name")),
                    type=_text(prop.get("type")) or "string",
                    default=prop.get("default"),
                    required=(prop.get("required") or "").strip().lower() == "true",
                    writable=(prop.get("writable") or "true").strip().lower() != "false",
                    values=_values(prop, ns),
                )
            )
    return found


def _values(field: Element, ns: str) -> tuple[FormValue, ...]:
    return tuple(
        FormValue(id=(value.get("id") or "").strip(), name=_text(value.get("name")))
        for value in field.iter(f"{{{ns}}}value")
    )
