"""``built`` makes the plan's models as pydantic's validation would: same values, same types.

``plan`` builds its nodes, flows and the plan itself without validating them again
(``bpmn_compiler.validated.built``). Every BPMN file of the tests, ``processes/`` and the corpus
is compiled both ways here, and the two plans are compared value by value and type by type
(every nested model's fields, fields set, extra and private values, every tuple and dict).
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler import plan as plan_module
from bpmn_compiler.model import Extensions
from bpmn_compiler.validated import built, set_field, validated
from shenpi_core.process_plan import SequenceFlow, ServiceTask
from tests.compiler.outcomes import example_files
from tests.helpers import patches_the_compiler

FILES = example_files("*.bpmn")


def _shape(value: object) -> object:
    """Everything validation decides about a value: its type, and for a model its fields (in
    order), fields set, extra and private values, recursively."""
    if isinstance(value, BaseModel):
        return (
            type(value),
            sorted(value.model_fields_set),
            value.__pydantic_extra__,
            value.__pydantic_private__,
            [(name, _shape(item)) for name, item in value.__dict__.items()],
        )
    if isinstance(value, tuple | list):
        return (type(value), [_shape(item) for item in value])
    if isinstance(value, dict):
        return (dict, [(key, _shape(item)) for key, item in value.items()])
    return (type(value), value)


def _compiled(xml: bytes, name: str) -> Any:
    try:
        return compile_bpmn(xml, source=name).plan
    except CompileError as err:
        return err.diagnostics


@patches_the_compiler
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_built_plan_is_the_validated_plan(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xml = path.read_bytes()
    fast = _compiled(xml, path.name)
    monkeypatch.setattr(plan_module, "built", validated)
    checked = _compiled(xml, path.name)
    assert _shape(fast) == _shape(checked)
    assert repr(fast) == repr(checked)
    if isinstance(fast, BaseModel):
        assert fast.model_dump_json() == checked.model_dump_json()


def test_the_files_are_there() -> None:
    assert len(FILES) > 100


def test_built_fills_defaults_and_factories_in_declaration_order() -> None:
    task = built(ServiceTask, {"task_type": "http", "id": "t"})
    expected = validated(ServiceTask, {"id": "t", "task_type": "http"})
    assert _shape(task) == _shape(expected)
    other = built(ServiceTask, {"id": "u", "task_type": "x"})
    assert task.config == {} and task.config is not other.config  # each its own dict


def test_built_refuses_unknown_and_missing_fields() -> None:
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        built(SequenceFlow, {"id": "f", "source": "a", "target": "b", "colour": "red"})
    with pytest.raises(TypeError, match="missing \\['target'\\]"):
        built(SequenceFlow, {"id": "f", "source": "a"})
    with pytest.raises(ValidationError):  # what ``validated`` says of the same mistake
        validated(SequenceFlow, {"id": "f", "source": "a"})


def test_an_empty_extensions_holds_every_field_default() -> None:
    """``Extensions.__init__`` sets each field by hand: a field added without it fails here."""
    empty = Extensions()
    for f in fields(Extensions):
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        assert getattr(empty, f.name) == default, f.name
    assert Extensions() == Extensions() and Extensions().inputs is not empty.inputs


def test_set_field_gives_the_model_built_with_that_value() -> None:
    data: dict[str, object] = {"id": "t", "task_type": "http"}
    late = built(ServiceTask, data)
    set_field(late, "task_queue", "approvals")
    assert _shape(late) == _shape(validated(ServiceTask, {**data, "task_queue": "approvals"}))
    assert repr(late) == repr(built(ServiceTask, {**data, "task_queue": "approvals"}))
    with pytest.raises(TypeError, match="no field 'colour'"):
        set_field(late, "colour", "red")
