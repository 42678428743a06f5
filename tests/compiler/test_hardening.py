"""Hostile input: size cap, DTDs and entities, encodings, nesting. Refused fast, never a crash."""

from __future__ import annotations

import time

import pytest

from bpmn_compiler import CompileError, compile_bpmn, safe_xml
from tests.compiler.golden import INVALID_DIR
from tests.helpers import patches_the_compiler

MINIMAL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
    b'<process id="p" isExecutable="true"><startEvent id="s"/><endEvent id="e"/>'
    b'<sequenceFlow id="f" sourceRef="s" targetRef="e"/></process></definitions>'
)


def _codes(xml: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> list[str]:
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml, max_bytes=max_bytes)
    return [d.code for d in err.value.diagnostics]


def test_minimal_process_compiles() -> None:
    assert compile_bpmn(MINIMAL).plan.process_id == "p"


def test_twenty_megabyte_upload_is_too_large_without_being_parsed() -> None:
    padding = b"<!--" + b"x" * (20 * 1024 * 1024) + b"-->"
    xml = MINIMAL.replace(b"<process", padding + b"<process", 1)
    started = time.perf_counter()
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml)
    assert time.perf_counter() - started < 1.0
    [diagnostic] = err.value.diagnostics
    assert diagnostic.code == "too-large"
    assert str(5 * 1024 * 1024) in diagnostic.message


def test_size_cap_is_configurable() -> None:
    assert _codes(MINIMAL, max_bytes=100) == ["too-large"]
    assert compile_bpmn(MINIMAL, max_bytes=len(MINIMAL)).plan.process_id == "p"


def test_billion_laughs_is_refused_in_milliseconds() -> None:
    xml = (INVALID_DIR / "billion_laughs.bpmn").read_bytes()
    started = time.perf_counter()
    assert _codes(xml) == ["xml-forbidden"]
    assert time.perf_counter() - started < 0.5


def test_xxe_never_reads_the_file() -> None:
    xml = (INVALID_DIR / "xxe.bpmn").read_bytes()
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml)
    assert "root:" not in str(err.value.diagnostics)  # /etc/passwd content never appears
    assert [d.code for d in err.value.diagnostics] == ["xml-forbidden"]


def test_doctype_in_utf16_is_still_refused() -> None:
    text = MINIMAL.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("?>\n", '?>\n<!DOCTYPE definitions [<!ENTITY a "b">]>\n', 1)
    assert _codes(text.encode("utf-16")) == ["xml-forbidden"]


def test_doctype_after_comments_and_processing_instructions_is_refused() -> None:
    xml = MINIMAL.replace(
        b"?>\n", b'?>\n<!-- hi --><?pi x?>\n  <!doctype definitions SYSTEM "http://x/">\n'
    )
    assert _codes(xml) == ["xml-forbidden"]


def test_doctype_text_inside_documentation_is_not_mistaken_for_a_dtd() -> None:
    xml = MINIMAL.replace(
        b"<startEvent", b"<documentation><![CDATA[<!DOCTYPE html>]]></documentation><startEvent"
    )
    assert compile_bpmn(xml).plan.process_id == "p"


def test_external_parameter_entity_in_a_dtd_is_refused() -> None:
    xml = MINIMAL.replace(
        b"?>\n", b'?>\n<!DOCTYPE d [<!ENTITY % ext SYSTEM "http://127.0.0.1:1/x.dtd"> %ext;]>\n'
    )
    assert _codes(xml) == ["xml-forbidden"]


@pytest.mark.parametrize(
    ("prolog", "root_first"),
    [
        (b'<?xml version="1.0" encoding="UTF-8"?>\n', True),
        (b"", True),
        (b"\r\n\t ", True),
        (b'<?xml version="1.0"?>\n<!DOCTYPE definitions>\n', False),
        (b'<?xml version="1.0"?><!-- a comment -->\n', False),
        (b'<?xml-stylesheet href="x"?>\n<!DOCTYPE definitions>\n', False),
        (b'<?xml version="1.0"?>' + b" " * 100, False),
        (b"\xef\xbb\xbf", False),
    ],
    ids=["declaration", "none", "blanks", "doctype", "comment", "pi-doctype", "far", "bom"],
)
def test_only_a_root_right_after_the_declaration_skips_the_prolog_scan(
    prolog: bytes, root_first: bool
) -> None:
    body = MINIMAL.split(b"?>\n", 1)[1]
    assert safe_xml._root_comes_first(prolog + body) is root_first
    assert compile_bpmn(prolog.replace(b"<!DOCTYPE definitions>", b"") + body)
    if b"DOCTYPE" in prolog:
        assert _codes(prolog + body) == ["xml-forbidden"]


@patches_the_compiler
def test_a_doctype_the_prolog_scan_misses_is_refused_after_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(safe_xml, "_prolog_has_doctype", lambda _xml: None)
    xml = MINIMAL.replace(b"?>\n", b"?>\n<!DOCTYPE definitions>\n")
    assert _codes(xml) == ["xml-forbidden"]


@pytest.mark.parametrize("xml", [b"", b"   ", b"\x00\x01binary", b"<definitions"])
def test_garbage_is_an_xml_syntax_diagnostic(xml: bytes) -> None:
    assert _codes(xml) == ["xml-syntax"]


def test_absurd_nesting_is_refused_not_a_recursion_crash() -> None:
    deep = b"<extensionElements>" * 5000 + b"</extensionElements>" * 5000
    xml = MINIMAL.replace(b"<startEvent", deep + b"<startEvent")
    assert _codes(xml) == ["xml-syntax"]


def test_deeply_nested_condition_is_a_condition_diagnostic() -> None:
    condition = "not " * 3000 + "a"
    xml = MINIMAL.replace(
        b'<sequenceFlow id="f" sourceRef="s" targetRef="e"/>',
        b'<exclusiveGateway id="g"/><sequenceFlow id="f" sourceRef="s" targetRef="g"/>'
        b'<sequenceFlow id="c" sourceRef="g" targetRef="e"><conditionExpression>'
        + condition.encode()
        + b"</conditionExpression></sequenceFlow>",
    )
    assert _codes(xml) == ["condition-syntax"]


def test_condition_deeper_than_the_limit_is_refused_at_compile_time() -> None:
    xml = MINIMAL.replace(
        b'<sequenceFlow id="f" sourceRef="s" targetRef="e"/>',
        b'<exclusiveGateway id="g"/><sequenceFlow id="f" sourceRef="s" targetRef="g"/>'
        b'<sequenceFlow id="c" sourceRef="g" targetRef="e"><conditionExpression>'
        + ("(" * 70 + "-a" + " + 1)" * 70).encode()
        + b"</conditionExpression></sequenceFlow>",
    )
    assert _codes(xml) == ["condition-syntax"]


def test_not_bpmn_root_is_refused() -> None:
    assert _codes(b'<definitions xmlns="http://example.com/other"/>') == ["not-bpmn"]


@pytest.mark.parametrize(
    "retries", ["²", pytest.param("9" * 5000, id="5000-digits"), "-1", "three"]
)
def test_unreadable_retries_keep_the_default_instead_of_crashing(retries: str) -> None:
    xml = MINIMAL.replace(b'<endEvent id="e"/>', b"").replace(
        b'targetRef="e"/>',
        'targetRef="t"/><serviceTask id="t" xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0"'
        f' shenpi:type="notify" shenpi:retries="{retries}"/><endEvent id="e"/>'
        '<sequenceFlow id="g" sourceRef="t" targetRef="e"/>'.encode(),
    )
    task = compile_bpmn(xml).plan.node("t")
    assert getattr(task, "max_attempts", None) == 5


def test_timer_without_duration_date_or_cycle_is_a_diagnostic_on_the_event() -> None:
    xml = MINIMAL.replace(
        b'<endEvent id="e"/>',
        b'<intermediateCatchEvent id="wait"><timerEventDefinition id="td"/>'
        b'</intermediateCatchEvent><endEvent id="e"/><sequenceFlow id="g" sourceRef="wait"'
        b' targetRef="e"/>',
    ).replace(b'targetRef="e"/></process>', b'targetRef="wait"/></process>')
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml)
    assert [(d.code, d.element_id) for d in err.value.diagnostics] == [("timer-syntax", "wait")]
