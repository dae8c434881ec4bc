"""``badge-issuer``: the command line (Click). Each command only calls the application layer.

Errors are one line on standard error with a non-zero exit: 2 for a refused request or bad
usage, 1 for anything unexpected (``--debug`` shows its traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from badge_issuer.config import Settings
from badge_issuer.crypto.keys import public_key_multibase
from badge_issuer.errors import BadgeIssuerError, ConfigurationError

if TYPE_CHECKING:
    from badge_issuer.application.services import Services

SCOPES = ("issue", "revoke", "read", "admin")


class _Context:
    """What every command gets: the settings (built on first use, so --help needs no environment)."""

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings()
        return self._settings


pass_context = click.make_pass_decorator(_Context)


class Refused(click.ClickException):
    """Input the command cannot use (exit 2, like a refused request)."""

    exit_code = 2


def _emit(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


@contextmanager
def _services(settings: Settings, *, migrate: bool = False) -> Iterator[Services]:
    """The composition root's Services for one command, closed afterwards."""
    from badge_issuer.application.operations import migrate as migrate_schema
    from badge_issuer.application.services import build_services

    services = build_services(settings)
    try:
        if migrate:
            migrate_schema(services)
        _check_dids(settings, services)
        yield services
    finally:
        services.close()


def _check_dids(settings: Settings, services: Services) -> None:
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


@cli.command()
@pass_context
def init(ctx: _Context) -> None:
    """Create the development key and the database (both only if missing)."""
    from badge_issuer.application.operations import initialise

    settings = ctx.settings
    with _services(settings) as services:
        done = initialise(services)
    if done.created_key:
        click.echo(f"created Ed25519 key '{settings.deployment_key}' in {settings.keys_dir}/ (mode 0600)")
    else:
        click.echo(f"key '{settings.deployment_key}' present in {settings.keys_dir}/")
    click.echo(f"database ready: {done.database}")
    click.echo(
        f"next: BADGE_BASE_URL={settings.base_url} .venv/bin/badge-issuer issuers create SLUG "
        "--name 'Example University' (prints the issuer's first admin API key)"
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@pass_context
def serve(ctx: _Context, host: str, port: int) -> None:
    """Serve the HTTP API with uvicorn (logs: BADGE_LOG_FORMAT, BADGE_LOG_LEVEL)."""
    import uvicorn

    from badge_issuer.api.app import create_app
    from badge_issuer.observability.logs import configure_logging
    from badge_issuer.production import is_production, refuse_or_warn, settings_findings

    settings = ctx.settings
    if is_production(settings):
        with _services(settings) as services:
            findings = settings_findings(settings, services.keystore, deployment_key=settings.deployment_key)
        refuse_or_warn(settings, findings)
    configure_logging(settings.log_format, settings.log_level)
    click.echo(f"serving {settings.base_url} on http://{host}:{port}", err=True)
    # our middleware writes the access log (request id, route, redacted query); uvicorn's is off
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@cli.group()
def keys() -> None:
    """Signing keys in BADGE_KEYS_DIR."""


@keys.command("create")
@click.argument("name")
@pass_context
def keys_create(ctx: _Context, name: str) -> None:
    """Create an Ed25519 key file NAME; prints its public key."""
    with _services(ctx.settings) as services:
        services.keystore.create(name)
        _emit({"name": name, "publicKeyMultibase": public_key_multibase(services.keystore.public_key(name))})


@keys.command("list")
@pass_context
def keys_list(ctx: _Context) -> None:
    """List key files and their public keys (one JSON object a line)."""
    with _services(ctx.settings) as services:
        for name in services.keystore.list():
            _emit(
                {"name": name, "publicKeyMultibase": public_key_multibase(services.keystore.public_key(name))}
            )


@cli.group()
def issuers() -> None:
    """Issuers (tenants) of this deployment."""


@issuers.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the issuer's profile.")
@click.option("--url", help="Web site of the issuer (http or https).")
@click.option("--email", help="Contact email of the issuer.")
@click.option(
    "--did-method",
    type=click.Choice(["web", "key"]),
    default="web",
    show_default=True,
    help="did:web (keys can rotate) or did:key (one key forever).",
)
@click.option("--suspension", is_flag=True, help="Also allocate suspension status entries.")
@click.option(
    "--base-url",
    help="The URL the server is reached at; the issuer's did:web derives from it "
    "(default: BADGE_BASE_URL, which must then be set).",
)
@pass_context
def issuers_create(
    ctx: _Context,
    slug: str,
    name: str,
    url: str | None,
    email: str | None,
    did_method: str,
    suspension: bool,
    base_url: str | None,
) -> None:
    """Create issuer SLUG (key, status lists) and its first admin API client; prints the key once."""
    from badge_issuer.application.tenants import create_issuer_with_admin
    from badge_issuer.credential.requests import IssuerCreate

    settings = ctx.settings
    # the issuer's did:web is derived from the base URL now and can never change: never guess it
    if base_url:
        settings = settings.model_copy(update={"base_url": base_url})
    elif "base_url" not in settings.model_fields_set:
        raise ConfigurationError(
            "set BADGE_BASE_URL (or pass --base-url) to the URL the server is reached at: "
            "the issuer's did:web is derived from it and cannot change later"
        )

    data = _validated(
        IssuerCreate,
        {
            "slug": slug,
            "name": name,
            "url": url,
            "email": email,
            "didMethod": did_method,
            "suspension": suspension,
        },
    )
    with _services(settings, migrate=True) as services:
        created = create_issuer_with_admin(services, data, client_id=None)
    issuer = created.issuer
    _emit({"issuer": issuer.slug, "id": issuer.did, "adminApiKey": created.admin.api_key})
    click.echo("keep the API key: it is shown only once", err=True)


@issuers.command("list")
@pass_context
def issuers_list(ctx: _Context) -> None:
    """List the issuers (one JSON object a line)."""
    from badge_issuer.application.tenants import list_issuers

    with _services(ctx.settings) as services:
        for issuer in list_issuers(services):
            _emit(
                {
                    "issuer": issuer.slug,
                    "id": issuer.did,
                    "name": issuer.profile.get("name"),
                    "didMethod": issuer.did_method,
                    "suspension": issuer.suspension,
                }
            )


@cli.group()
def clients() -> None:
    """API clients of an issuer (each has its own key and scopes)."""


@clients.command("create")
@click.argument("issuer")
@click.option("--name", required=True, help="Who uses the key, e.g. the LMS.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope of the key; repeat for several.",
)
@pass_context
def clients_create(ctx: _Context, issuer: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API client of ISSUER; prints its API key once."""
    from badge_issuer.application.tenants import new_client
    from badge_issuer.credential.requests import ClientCreate

    data = _validated(ClientCreate, {"name": name, "scopes": list(scopes)})
    with _services(ctx.settings) as services:
        created = new_client(services, issuer, data, client_id=None)
    _emit(
        {"issuer": issuer, "client": created.client.key_id, "scopes": data.scopes, "apiKey": created.api_key}
    )


@clients.command("list")
@click.argument("issuer")
@pass_context
def clients_list(ctx: _Context, issuer: str) -> None:
    """List ISSUER's API clients (one JSON object a line; keys are never shown again)."""
    from badge_issuer.application.tenants import list_clients

    with _services(ctx.settings) as services:
        for client in list_clients(services, issuer):
            _emit(
                {
                    "client": client.key_id,
                    "name": client.name,
                    "scopes": client.scopes,
                    "created": client.created.isoformat(),
                    "revoked": client.revoked,
                }
            )


@clients.command("revoke")
@click.argument("issuer")
@click.argument("client")
@pass_context
def clients_revoke(ctx: _Context, issuer: str, client: str) -> None:
    """Revoke ISSUER's API client CLIENT (the part after bik_ and before the dot); it stops at once."""
    from badge_issuer.application.tenants import revoke_api_client

    with _services(ctx.settings) as services:
        revoked = revoke_api_client(services, issuer, client, client_id=None)
    _emit({"issuer": issuer, "client": revoked.key_id, "revoked": True})


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--recipient", metavar="EMAIL", help="Also check that the badge was awarded to EMAIL.")
@click.option(
    "--offline", is_flag=True, help="Do not consult status lists (the report says status was not checked)."
)
@click.option("--challenge", help="A presentation's proof must carry this challenge.")
@click.option("--domain", help="A presentation's proof must be made for this domain.")
@click.option(
    "--subject-is-holder",
    is_flag=True,
    help="A presentation's authenticated holder must be the subject of every credential.",
)
@pass_context
def verify(
    ctx: _Context,
    file: str,
    recipient: str | None,
    offline: bool,
    challenge: str | None,
    domain: str | None,
    subject_is_holder: bool,
) -> None:
    """Verify a badge FILE (JSON, VC-JWT, baked PNG or SVG; - reads standard input).

    Prints the report; exits 0 when verified, 1 when not."""
    from badge_issuer.application.verifying import verify_presented
    from badge_issuer.checks import VerifyOptions

    path = Path(file)
    try:
        data = sys.stdin.buffer.read() if file == "-" else path.read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read {file}: {exc.strerror}") from exc
    media = {".png": "image/png", ".svg": "image/svg+xml", ".jwt": "text/plain", ".jws": "text/plain"}
    # the same context as the service: this deployment's issuers and status lists come from its
    # database, everyone else's over the guarded fetcher
    with _services(ctx.settings, migrate=True) as services:
        report = verify_presented(
            services,
            data,
            content_type=media.get(path.suffix.lower()),
            recipient=recipient,
            options=VerifyOptions(
                check_status=not offline,
                challenge=challenge,
                domain=domain,
                subject_is_holder=subject_is_holder,
            ),
        )
    click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    if not report.verified:
        raise click.exceptions.Exit(1)


@cli.command()
@pass_context
def openapi(ctx: _Context) -> None:
    """Print the OpenAPI document (YAML), as committed in openapi.yaml."""
    from badge_issuer.api.app import create_app
    from badge_issuer.api.openapi_doc import render

    sys.stdout.write(render(create_app(ctx.settings)))


def _validated(model: Callable[..., Any], data: dict[str, Any]) -> Any:
    """``model`` from command-line values; a validation failure is one line naming the option."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        raise click.BadParameter(first["msg"], param_hint=f"'{where}'") from exc


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; ``settings`` default to the environment (``BADGE_*``). Returns the exit code."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        # without standalone mode Click returns the code of --help, --version or an Exit
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="badge-issuer",
            standalone_mode=False,
            obj=_Context(settings),
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
    except Exception as exc:
        if debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        click.echo(f"error: {type(exc).__name__}: {first}"[:500] + " (--debug shows the traceback)", err=True)
        return 1
    return code if isinstance(code, int) else 0
