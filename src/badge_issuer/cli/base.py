"""What every command shares: the context (settings built on first use), one-line refusals, JSON
output, the composition root's Services for a command, and the root ``badge-issuer`` group."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from badge_issuer.config import Settings
from badge_issuer.errors import ConfigurationError

if TYPE_CHECKING:
    from badge_issuer.application.services import Services


SCOPES = ("issue", "revoke", "read", "admin")


class CliContext:
    """What every command gets: the settings (built on first use, so --help needs no environment)."""

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings()
        return self._settings


pass_context = click.make_pass_decorator(CliContext)


class Refused(click.ClickException):
    """Input the command cannot use (exit 2, like a refused request)."""

    exit_code = 2


def emit(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


@contextmanager
def open_services(settings: Settings, *, migrate: bool = False) -> Iterator[Services]:
    """The composition root's Services for one command, closed afterwards."""
    from badge_issuer.application.operations import migrate as migrate_schema
    from badge_issuer.application.services import build_services

    services = build_services(settings)
    try:
        if migrate:
            migrate_schema(services)
        check_dids(settings, services)
        yield services
    finally:
        services.close()


def check_dids(settings: Settings, services: Services) -> None:
    """Stored did:web issuers of another base URL: refused in production, a warning elsewhere."""
    from sqlalchemy.exc import SQLAlchemyError

    from badge_issuer.production import did_findings, is_production, stored_issuers

    try:
        findings = did_findings(settings.base_url, stored_issuers(services.readers))
    except SQLAlchemyError:
        return  # no schema yet: there are no issuers to compare
    if findings and is_production(settings):
        raise ConfigurationError("refusing to run in production: " + "; ".join(findings))
    for finding in findings:
        click.echo(f"warning: {finding}", err=True)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help="Issue and verify Open Badges 3.0 credentials. Settings come from BADGE_* environment variables.",
)
@click.version_option(None, "-V", "--version", package_name="badge-issuer", prog_name="badge-issuer")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    ctx.meta["debug"] = debug


def validated(model: Callable[..., Any], data: dict[str, Any]) -> Any:
    """``model`` from command-line values; a validation failure is one line naming the option."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        raise click.BadParameter(first["msg"], param_hint=f"'{where}'") from exc
