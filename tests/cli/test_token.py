"""`shenpi token`: dev tokens the API of the same data dir accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shenpi.auth_tokens import InvalidTokenError, verify_token
from shenpi.cli import app
from shenpi.settings import Settings


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    # Settings also read `.env` from the working directory: run where there is none.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHENPI_JWT_SECRET", raising=False)
    monkeypatch.delenv("SHENPI_ENV", raising=False)
    return CliRunner()


def test_token_is_signed_with_the_data_dir_secret_and_carries_sub_and_groups(
    runner: CliRunner, tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    result = runner.invoke(app, ["token", "alice", "--groups", "finance, admin", "--data-dir",
                                 str(data_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()

    principal = verify_token(token, Settings(data_dir=data_dir))
    assert (principal.sub, principal.groups, principal.is_admin) == (
        "alice",
        ("finance", "admin"),
        True,
    )
    assert (data_dir / "jwt-secret").stat().st_mode & 0o077 == 0  # private to the user


def test_token_from_another_data_dir_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["token", "bob", "--data-dir", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output

    with pytest.raises(InvalidTokenError):
        verify_token(result.stdout.strip(), Settings(data_dir=tmp_path / "two"))


def test_token_uses_shenpi_jwt_secret_when_it_is_set(runner: CliRunner, tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    result = runner.invoke(
        app,
        ["token", "carol", "--data-dir", str(data_dir)],
        env={"SHENPI_JWT_SECRET": "configured-secret-of-at-least-32-bytes!"},
    )
    assert result.exit_code == 0, result.output

    settings = Settings(data_dir=data_dir, jwt_secret="configured-secret-of-at-least-32-bytes!")
    principal = verify_token(result.stdout.strip(), settings)
    assert (principal.sub, principal.groups) == ("carol", ())
    assert not (data_dir / "jwt-secret").exists()  # no dev secret invented behind the user's back
