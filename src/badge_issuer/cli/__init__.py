"""``badge-issuer``: the command line (Click). Each command only calls the application layer
(operator commands, on this deployment's database) or the service's HTTP API (staff commands, with
an API key).

Errors are one line on standard error with a non-zero exit: 2 for a refused request or bad
usage, 1 for anything unexpected (``--debug`` shows its traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from pydantic import ValidationError

from badge_issuer.cli import badges, operator, staff, worker
from badge_issuer.cli.base import CliContext, cli
from badge_issuer.config import Settings
from badge_issuer.errors import BadgeIssuerError

__all__ = ["cli", "main"]
_COMMANDS = (badges, operator, staff, worker)  # imported for the commands they register on ``cli``


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; ``settings`` default to the environment (``BADGE_*``). Returns the exit code."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        # without standalone mode Click returns the code of --help, --version or an Exit
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="badge-issuer",
            standalone_mode=False,
            obj=CliContext(settings),
        )
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BadgeIssuerError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return 2
    except ValidationError as exc:  # the settings (BADGE_* variables) do not validate
        error = exc.errors()[0]
        where = "BADGE_" + "_".join(str(part) for part in error["loc"]).upper() if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        click.echo(f"error: configuration: {where + ': ' if where else ''}{message}"[:500], err=True)
        return 2
    except Exception as exc:
        if debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        click.echo(f"error: {type(exc).__name__}: {first}"[:500] + " (--debug shows the traceback)", err=True)
        return 1
    return code if isinstance(code, int) else 0
