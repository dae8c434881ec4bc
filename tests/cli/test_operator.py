"""``badge-issuer``: version, help for every command and option, one-line errors, listing commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from badge_issuer import __version__
from badge_issuer.cli import cli, main
from badge_issuer.config import Settings


def run(capsys: pytest.CaptureFixture[str], settings: Settings | None, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), settings=settings)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, None, "--version")
    assert code == 0
    assert out.strip() == f"badge-issuer, version {__version__}"


def test_every_command_and_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, None, "--help")
    assert code == 0
    assert "Issue and verify Open Badges 3.0 credentials" in out
    assert "Each command only calls" not in out  # not the module's docstring
    found = list(commands(cli))
    names = {" ".join(path) for path, _ in found}
    assert {"issuers list", "clients list", "clients create", "verify", "serve", "openapi"} <= names
    for path, command in found:
        assert command.help or command.short_help, path
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, (path, param.name)
        code, out, _ = run(capsys, None, *path, "--help")
        assert code == 0, path
        assert out.startswith(f"Usage: badge-issuer {' '.join(path)}"), out


def test_errors_are_one_line_on_stderr_with_a_nonzero_exit(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, settings, "init")[0] == 0
    code, out, err = run(capsys, settings, "clients", "list", "nosuch")
    assert code == 2
    assert out == ""
    assert err == "error: no issuer 'nosuch'\n" or (err.startswith("error: ") and err.count("\n") == 1), err

    code, _, err = run(capsys, settings, "issuers", "create", "Bad Slug!", "--name", "X")
    assert code == 2
    assert "Traceback" not in err and "slug" in err

    code, _, err = run(capsys, settings, "clients", "create", "uni", "--name", "LMS", "--scope", "everything")
    assert code == 2 and "--scope" in err

    unreachable = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:9/none"})
    code, out, err = run(capsys, unreachable, "issuers", "list")
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert "--debug" in err


def test_issuers_list_and_clients_list(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, settings, "init")[0] == 0
    for slug in ("uni", "college"):
        assert (
            run(capsys, settings, "issuers", "create", slug, "--name", f"{slug} U", "--did-method", "key")[0]
            == 0
        )
    code, out, _ = run(capsys, settings, "issuers", "list")
    assert code == 0
    listed = [json.loads(line) for line in out.splitlines()]
    assert [item["issuer"] for item in listed] == ["uni", "college"]
    assert listed[0]["name"] == "uni U" and listed[0]["id"].startswith("did:key:")

    code, out, _ = run(
        capsys, settings, "clients", "create", "uni", "--name", "LMS", "--scope", "issue", "--scope", "read"
    )
    created = json.loads(out)
    code, out, _ = run(capsys, settings, "clients", "revoke", "uni", created["client"])
    assert code == 0
    code, out, _ = run(capsys, settings, "clients", "list", "uni")
    assert code == 0
    clients = {item["client"]: item for item in map(json.loads, out.splitlines())}
    assert clients[created["client"]]["scopes"] == ["issue", "read"]
    assert clients[created["client"]]["revoked"] is True
    assert [item["name"] for item in clients.values()] == ["uni admin", "LMS"]
    assert "apiKey" not in out and created["apiKey"] not in out


def test_the_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("badge-issuer")
    env = {
        **os.environ,
        "BADGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
    }
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=env, timeout=120)
    init = subprocess.run([script, "init"], capture_output=True, text=True, env=env, timeout=120)
    assert init.returncode == 0, init.stderr
    assert version.returncode == 0
    assert __version__ in version.stdout
    missing = subprocess.run(
        [script, "clients", "list", "nosuch"], capture_output=True, text=True, env=env, timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ") and missing.stderr.count("\n") == 1, missing.stderr
    assert missing.stdout == ""
