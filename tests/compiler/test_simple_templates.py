"""The simple-template reader agrees with Jinja on every template it claims: each parses, and
reads exactly the variables Jinja's own analysis finds; anything else is left to Jinja."""

from __future__ import annotations

import random

import pytest
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from bpmn_compiler.simple_templates import simple_names

PIECES = [
    "报销 ",
    "元",
    "amount: ",
    "\n",
    "{{ description }}",
    "{{amount}}",
    "{{\tdoc.name\t}}",
    "{{ a.b.c }}",
    "{{ _x1 }}",
    "{{ none }}",
    "{{ true }}",
    "{{ x | upper }}",
    "{{ x + 1 }}",
    "{% if x %}",
    "{% endif %}",
    "{# note #}",
    "{",
    "}",
    "{{",
    "}}",
    "{{ 1 }}",
    "{{ doc.1 }}",
    "{{- x -}}",
    "{{ x }}}",
    "{ {x} }",
    "{{ 名字 }}",
    "{{ x.and }}",
    "{{ x.if }}",
    "{{ x.true }}",
    "{{ in.x }}",
]


def _texts() -> list[str]:
    rng = random.Random(20261203)
    texts = list(PIECES)
    for _ in range(3000):
        texts.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))))
    return texts


@pytest.mark.parametrize("chunk", range(10))
def test_a_simple_template_parses_and_reads_what_jinja_finds(chunk: int) -> None:
    env = SandboxedEnvironment()
    texts = _texts()[chunk::10]
    claimed = 0
    for text in texts:
        names = simple_names(text)
        if names is None:
            continue
        claimed += 1
        assert meta.find_undeclared_variables(env.parse(text)) == names, text
    assert claimed  # each chunk holds simple templates too


def test_what_is_not_simple_is_left_to_jinja() -> None:
    for text in ["{{ x | upper }}", "{% if x %}y{% endif %}", "{# c #}", "{", "}}", "{{ none }}"]:
        assert simple_names(text) is None, text
    assert simple_names("{{ description }} {{ amount }}元") == frozenset({"description", "amount"})
    assert simple_names("Approve taxis under 100 CNY.") == frozenset()
