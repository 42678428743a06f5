"""Where lark keeps the analysed expression grammar between processes.

Building the LALR tables of ``expression.lark`` takes about 60 ms, a fifth of a cold ``shenpi
compile``; lark can save them (``Lark(..., cache=path)``) and load them in a few. The file is a
pickle, so it is only read from a directory that nobody else can write: the user's cache directory
(``$XDG_CACHE_HOME/shenpi``, else ``~/.cache/shenpi``), created ``0700``, owned by this user and
not group- or world-writable. When there is none (a read-only home in a container, another
owner), the grammar is built in memory as before. The name carries a hash of the grammar and the
lark version, so versions side by side do not overwrite each other's tables; lark also checks its
own hash of grammar, options and versions before it trusts a file. What the parser accepts and the
AST it builds do not depend on the cache: only the time to get there does.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def _cache_dir() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base.strip() and Path(base).is_absolute() else Path.home() / ".cache"
    where = root / "shenpi"
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = where.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    private = info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return where if private else None


def _trusted(path: Path) -> bool:
    """A regular file this user wrote (or none yet: lark writes it). Its own mode bits do not
    matter: nobody else can reach into the private directory."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()


def cache_path(grammar: str, lark_version: str) -> str | None:
    """The file to pass as ``Lark(cache=...)``, or None to build the grammar in memory."""
    where = _cache_dir()
    if where is None:
        return None
    digest = hashlib.sha256(f"{lark_version}\n{grammar}".encode()).hexdigest()[:16]
    path = where / f"expression-{digest}.lark"
    return str(path) if _trusted(path) else None
