"""``validated(Model, data)`` and ``built(Model, data)``: the two ways the compiler makes models.

``validated`` is ``Model.model_validate(data)``, straight to pydantic-core: the compiler builds a
few hundred small frozen models per file (plan nodes, flows, expressions, diagnostics), and
pydantic's Python wrapper around its validator cost a third of each. Calling the model's own
``SchemaValidator`` runs the same checks and gives the same instance.

``built`` gives that same instance without the checks, for the plan's nodes, flows and the plan
itself, which ``plan`` builds from values that already have the validated types (tuples of ids,
ints, floats, the literals the parser chose, models made by ``validated``): checking them again
was a tenth of a compile (docs/benchmarks.md "Compiling the real-world corpus"). Same instance
means the same ``__dict__`` (every field, in declaration order), ``model_fields_set`` (the keys
given) and no extra or private values, so equality, ``repr``, dumps and the hash cannot tell the
two apart; tests/compiler/test_built.py compiles every BPMN file of the tests, ``processes/`` and
the corpus both ways and compares them value by value and type by type.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: dict[str, object]) -> M:
    built: M = model.__pydantic_validator__.validate_python(data)
    return built


_REQUIRED = object()  # stands for a required field in a template until the data sets it
_new = object.__new__  # as pydantic's own construction, frozen or not
# The three slots every model has besides its ``__dict__``, set through their descriptors as
# ``object.__setattr__`` would (a model's own ``__setattr__`` refuses a frozen one), a third as
# dear: each ``built`` sets them once, and ``built`` makes most of a plan.
_FIELDS_SET, _EXTRA, _PRIVATE = (
    BaseModel.__dict__[slot].__set__
    for slot in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
)
# Per model: every field with its default (``_REQUIRED`` for none), in declaration order; the
# required names; the fields made by a default factory.
_Template = tuple[dict[str, object], frozenset[str], tuple[tuple[str, FieldInfo], ...]]
_TEMPLATES: dict[type[BaseModel], _Template] = {}


def _template(model: type[BaseModel]) -> _Template:
    defaults: dict[str, object] = {}
    factories: list[tuple[str, FieldInfo]] = []
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            defaults[name] = _REQUIRED
            factories.append((name, info))
        else:
            defaults[name] = _REQUIRED if info.is_required() else info.default
    required = frozenset(name for name, info in model.model_fields.items() if info.is_required())
    template = (defaults, required, tuple(factories))
    _TEMPLATES[model] = template
    return template


def built(model: type[M], data: dict[str, object]) -> M:
    """``validated(model, data)`` for data whose values already have the fields' types."""
    defaults, required, factories = _TEMPLATES.get(model) or _template(model)
    instance = _new(model)
    values = instance.__dict__  # filled in place: the declaration order, which dumps follow
    values.update(defaults)
    values.update(data)
    given = set(data)
    if len(values) != len(defaults) or not required <= given:
        unknown = sorted(set(data) - set(defaults))
        missing = sorted(required - set(data))
        raise TypeError(f"{model.__name__}: unknown fields {unknown}, missing {missing}")
    for name, info in factories:  # usually none
        if name not in data:
            values[name] = info.get_default(call_default_factory=True, validated_data=values)
    _FIELDS_SET(instance, given)
    _EXTRA(instance, None)
    _PRIVATE(instance, None)
    return instance


def set_field(instance: BaseModel, name: str, value: str) -> None:
    """Give a model that ``built`` just made, and nothing else holds yet, the ``value`` of its
    field ``name`` (the hash, found from the model without it): the same instance ``built`` would
    make with that value in its data (the field keeps its place, and counts as given), without
    copying every other field into a second model."""
    values: dict[str, object] = instance.__dict__
    if name not in values:
        raise TypeError(f"{type(instance).__name__} has no field {name!r}")
    values[name] = value
    instance.__pydantic_fields_set__.add(name)
