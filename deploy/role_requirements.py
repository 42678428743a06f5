"""Print the requirements of Shenpi with some extras, one a line, from pyproject.toml alone.

The image installs them constrained by requirements.lock (``pip install -c requirements.lock -r
...``): the exact versions the tests ran, and only what the role needs. Run before the sources are
copied, so a code change reuses the dependency layer.

    python deploy/role_requirements.py api,worker [pyproject.toml]
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_SELF = re.compile(r"^shenpi\[([^\]]+)\]$")


def requirements(project: dict[str, object], extras: list[str]) -> list[str]:
    """The core dependencies plus those of ``extras``, the extras' own extras followed."""
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})  # type: ignore[assignment]
    found: list[str] = list(project["dependencies"])  # type: ignore[call-overload]
    seen: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        if extra not in optional:
            raise SystemExit(f"no extra {extra!r} (known: {', '.join(sorted(optional))})")
        seen.add(extra)
        for requirement in optional[extra]:
            nested = _SELF.match(requirement.replace(" ", ""))
            if nested:
                todo += nested.group(1).split(",")
            elif requirement not in found:
                found.append(requirement)
    return found


def main() -> None:
    extras = [e for e in sys.argv[1].split(",") if e] if len(sys.argv) > 1 else []
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("pyproject.toml")
    project = tomllib.loads(path.read_text())["project"]
    print("\n".join(requirements(project, extras)))


if __name__ == "__main__":
    main()
