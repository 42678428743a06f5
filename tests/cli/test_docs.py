"""The docs name what exists: every setting is documented, every command they show is real."""

from __future__ import annotations

import re

import pytest
import typer

from shenpi.cli import app
from shenpi.settings import Settings
from tests.helpers import REPO_ROOT

DOCS = ("README.md", "docs/running.md")


def _read(name: str) -> str:
    return (REPO_ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_configuration_md(field: str) -> None:
    assert f"`SHENPI_{field.upper()}`" in _read("docs/configuration.md")


def test_configuration_md_documents_no_setting_that_does_not_exist() -> None:
    text = _read("docs/configuration.md")
    documented = set(re.findall(r"^\| `SHENPI_([A-Z0-9_]+)`", text, re.MULTILINE))
    assert documented <= {f.upper() for f in Settings.model_fields}


@pytest.mark.parametrize("doc", DOCS)
def test_shenpi_commands_in_the_docs_exist(doc: str) -> None:
    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    # Commands as written in code: at a line start, after a backtick, or as .venv/bin/shenpi.
    used = set(re.findall(r"(?:^|`|bin/)shenpi ([a-z][a-z-]*)", _read(doc), re.MULTILINE))
    assert used, "the page should show at least one command"
    assert used <= commands


@pytest.mark.parametrize("doc", DOCS)
def test_make_targets_in_the_docs_exist(doc: str) -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    assert set(re.findall(r"\bmake ([a-z][\w-]*)", _read(doc))) <= targets
