"""A Camunda Form file (``.form``: form-js JSON with ``id`` and ``components``) → ``FormPlan``.

Deployed through ``POST /definitions`` beside BPMN and DMN files, versioned by its ``id``, and
linked from user tasks by that id (``linked_forms``). The form is kept as written; what is
checked is what linking and serving it rely on: a JSON object, an id a process can name, a list
of components.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.forms import schema_variables
from bpmn_compiler.safe_xml import DEFAULT_MAX_BYTES
from shenpi_core.limits import nesting_depth
from shenpi_core.task_forms import FormPlan

MAX_FORM_ID_LENGTH = 255  # a database column, as the process and DMN ids
MAX_FORM_DEPTH = 64  # form-js nests groups; the JSON is data from the upload


@dataclass(frozen=True)
class FormCompileResult:
    plan: FormPlan
    warnings: list[Diagnostic] = field(default_factory=list)


def _refused(code: str, message: str) -> CompileError:
    return CompileError([Diagnostic(code=code, message=message)])


def compile_form(
    data: bytes, *, source: str = "<upload>", max_bytes: int = DEFAULT_MAX_BYTES
) -> FormCompileResult:
    """Read one Camunda Form; raises ``CompileError`` when it cannot be deployed."""
    if len(data) > max_bytes:
        raise _refused("too-large", f"the file has {len(data)} bytes; the limit is {max_bytes}")
    try:
        form = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise _refused("form-json", f"{source} is not JSON: {err}") from None
    except RecursionError:
        raise _refused("form-json", f"{source} nests too deeply") from None
    if not isinstance(form, dict):
        raise _refused("form-json", "a Camunda Form is a JSON object")
    if nesting_depth(form, MAX_FORM_DEPTH) >= MAX_FORM_DEPTH:
        raise _refused("form-json", f"the form nests deeper than {MAX_FORM_DEPTH} levels")
    form_id = form.get("id")
    if not isinstance(form_id, str) or not form_id.strip() or len(form_id) > MAX_FORM_ID_LENGTH:
        raise _refused(
            "form-id",
            f"a Camunda Form needs an id (1 to {MAX_FORM_ID_LENGTH} characters): user tasks "
            "link it by that id",
        )
    if not isinstance(form.get("components"), list):
        raise _refused("form-components", "a Camunda Form has a list of components")
    canonical = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate ("\ud958") is JSON but not text
        raise _refused("form-json", "the form holds text that is not valid Unicode") from None
    name = form.get("name") if isinstance(form.get("name"), str) else None
    fields = tuple(dict.fromkeys(v.name for v in schema_variables(form, None)))
    plan = FormPlan(
        form_id=form_id.strip(),
        name=name,
        camunda_form=form,
        fields=fields,
        hash=digest,
    )
    return FormCompileResult(plan=plan)
