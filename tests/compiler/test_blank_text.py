"""The parser drops the blanks between elements unless they may be an element's text.

``safe_xml`` parses most files with libxml2's blank removal (the indentation between elements is
never read). Every BPMN file of the tests, ``processes/`` and the corpus compiles to the same plan
and the same diagnostics with every blank kept; and where blanks start an element's text (before
a CDATA section, a comment or a processing instruction), a prompt's template still counts its
lines from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_compiler import CompileError, compile_bpmn, safe_xml
from tests.compiler.outcomes import example_files, outcome
from tests.helpers import REPO_ROOT, patches_the_compiler

FILES = example_files("*.bpmn")
PROMPT_FILE = REPO_ROOT / "tests" / "compiler" / "invalid" / "ai_prompt_syntax.bpmn"
CDATA_PROMPT = "<shenpi:prompt><![CDATA[Review {{ description }}.\n{% endfor %}]]></shenpi:prompt>"


@patches_the_compiler
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_a_file_compiles_alike_with_every_blank_kept(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_parsed = outcome(path)
    monkeypatch.setattr(safe_xml, "_blanks_may_be_text", lambda _xml: True)
    assert outcome(path) == as_parsed


def _endfor_line(prompt: str) -> tuple[int | None, int]:
    """The line the compiler reports for the prompt's ``{% endfor %}``, and the line it is on."""
    text = PROMPT_FILE.read_text()
    assert CDATA_PROMPT in text
    xml = text.replace(CDATA_PROMPT, prompt)
    with pytest.raises(CompileError) as raised:
        compile_bpmn(xml.encode())
    reported = [d.line for d in raised.value.diagnostics if "endfor" in d.message]
    actual = next(i for i, line in enumerate(xml.splitlines(), 1) if "{% endfor %}" in line)
    return reported[0], actual


@pytest.mark.parametrize(
    "prompt",
    [
        CDATA_PROMPT,
        "<shenpi:prompt>\n  <![CDATA[Review {{ description }}.\n{% endfor %}]]>\n</shenpi:prompt>",
        "<shenpi:prompt>\n  <!-- the policy -->\n  Review {{ x }}.\n{% endfor %}</shenpi:prompt>",
        "<shenpi:prompt>\n\n  <?note?>\n  Review {{ x }}.\n{% endfor %}\n</shenpi:prompt>",
        "<shenpi:prompt>\n  Review {{ description }}.\n  {% endfor %}\n</shenpi:prompt>",
    ],
    ids=["cdata", "cdata-next-line", "comment", "processing-instruction", "plain"],
)
def test_a_prompt_error_names_the_line_it_is_on(prompt: str) -> None:
    reported, actual = _endfor_line(prompt)
    assert reported == actual


@pytest.mark.parametrize(
    ("xml", "keep"),
    [
        (b'<?xml version="1.0"?><a>\n  <b/>\n</a>', False),
        (b"<a>\n  <![CDATA[x]]></a>", True),
        (b"<a>\n  <!-- c --></a>", True),
        (b'<?xml version="1.0"?><a>\n  <?pi x?></a>', True),
        ("<a>\n  <b/></a>".encode("utf-16"), True),
        (b"\xef\xbb\xbf<a>\n  <b/></a>", True),
        (b'<?xml version="1.0"?><a x="${!ok}">\n  <b>Done?</b>\n</a>', False),
        (b'<a x="${!ok}">\n  <b>Done?</b>\n</a>', False),
        (b'<?xml version="1.0"?>\n<a>\n  <b>Done?</b><![CDATA[x]]>\n</a>', True),
    ],
    ids=[
        "plain",
        "cdata",
        "comment",
        "pi",
        "utf-16",
        "utf-8-bom",
        "marks-in-text",
        "no-decl",
        "cdata-after-marks",
    ],
)
def test_blanks_are_kept_where_they_may_be_text(xml: bytes, keep: bool) -> None:
    assert safe_xml._blanks_may_be_text(xml) is keep
