"""Operator commands, run where the service runs: ``init``, ``serve``, ``db upgrade``, ``keys``,
``issuers``, ``clients`` and ``openapi``. They work on this deployment's database and key folder."""

from __future__ import annotations

import sys

import click

from badge_issuer.cli.base import SCOPES, CliContext, cli, emit, open_services, pass_context, validated
from badge_issuer.crypto.keys import public_key_multibase
from badge_issuer.errors import ConfigurationError


@cli.command()
@pass_context
def init(ctx: CliContext) -> None:
    """Create the development key and the database (both only if missing)."""
    from badge_issuer.application.operations import initialise

    settings = ctx.settings
    with open_services(settings) as services:
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
@click.option(
    "--init",
    "initialise_first",
    is_flag=True,
    help="First create the key and the database if missing (what `init` does), in this same process.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: BADGE_WEB_CONCURRENCY, 1); each reads its settings from the "
    "environment.",
)
@pass_context
def serve(ctx: CliContext, host: str, port: int, initialise_first: bool, workers: int | None) -> None:
    """Serve the HTTP API with uvicorn (logs: BADGE_LOG_FORMAT, BADGE_LOG_LEVEL)."""
    import uvicorn

    from badge_issuer.api.app import create_app
    from badge_issuer.observability.logs import configure_logging
    from badge_issuer.production import is_production, refuse_or_warn, settings_findings

    settings = ctx.settings
    workers = workers or settings.web_concurrency
    if initialise_first:  # one process from start to stop: a container's PID 1 gets the signals
        from badge_issuer.application.operations import initialise

        with open_services(settings) as services:
            initialise(services)
    elif workers > 1:  # migrate once here, not in N workers racing each other
        with open_services(settings, migrate=True):
            pass
    if is_production(settings):
        with open_services(settings) as services:
            findings = settings_findings(settings, services.keystore, deployment_key=settings.deployment_key)
        refuse_or_warn(settings, findings)
    configure_logging(settings.log_format, settings.log_level)
    click.echo(f"serving {settings.base_url} on http://{host}:{port} with {workers} worker(s)", err=True)
    # our middleware writes the access log (request id, route, redacted query); uvicorn's is off
    uvicorn.run(
        # N workers: each process builds its own app from the environment (the settings above came
        # from it too); one: this process serves the app it built
        "badge_issuer.api.app:app_from_environment" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        http="badge_issuer.api.tcp:NoDelayHttpToolsProtocol",  # C parser; no 40 ms Nagle delay in workers
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        # the client address (rate limits, logs) comes from X-Forwarded-For only from these proxies
        proxy_headers=True,
        forwarded_allow_ips=",".join(settings.forwarded_allow_ips) or "127.0.0.1",
    )


@cli.group()
def keys() -> None:
    """Signing keys in BADGE_KEYS_DIR."""


@keys.command("create")
@click.argument("name")
@pass_context
def keys_create(ctx: CliContext, name: str) -> None:
    """Create an Ed25519 key file NAME; prints its public key."""
    with open_services(ctx.settings) as services:
        services.keystore.create(name)
        emit({"name": name, "publicKeyMultibase": public_key_multibase(services.keystore.public_key(name))})


@keys.command("list")
@pass_context
def keys_list(ctx: CliContext) -> None:
    """List key files and their public keys (one JSON object a line)."""
    with open_services(ctx.settings) as services:
        for name in services.keystore.list():
            emit(
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
    ctx: CliContext,
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

    data = validated(
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
    with open_services(settings, migrate=True) as services:
        created = create_issuer_with_admin(services, data, client_id=None)
    issuer = created.issuer
    emit({"issuer": issuer.slug, "id": issuer.did, "adminApiKey": created.admin.api_key})
    click.echo("keep the API key: it is shown only once", err=True)


@issuers.command("list")
@pass_context
def issuers_list(ctx: CliContext) -> None:
    """List the issuers (one JSON object a line)."""
    from badge_issuer.application.tenants import list_issuers

    with open_services(ctx.settings) as services:
        for issuer in list_issuers(services):
            emit(
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
def clients_create(ctx: CliContext, issuer: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API client of ISSUER; prints its API key once."""
    from badge_issuer.application.tenants import new_client
    from badge_issuer.credential.requests import ClientCreate

    data = validated(ClientCreate, {"name": name, "scopes": list(scopes)})
    with open_services(ctx.settings) as services:
        created = new_client(services, issuer, data, client_id=None)
    emit(
        {"issuer": issuer, "client": created.client.key_id, "scopes": data.scopes, "apiKey": created.api_key}
    )


@clients.command("list")
@click.argument("issuer")
@pass_context
def clients_list(ctx: CliContext, issuer: str) -> None:
    """List ISSUER's API clients (one JSON object a line; keys are never shown again)."""
    from badge_issuer.application.tenants import list_clients

    with open_services(ctx.settings) as services:
        for client in list_clients(services, issuer):
            emit(
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
def clients_revoke(ctx: CliContext, issuer: str, client: str) -> None:
    """Revoke ISSUER's API client CLIENT (the part after bik_ and before the dot); it stops at once."""
    from badge_issuer.application.tenants import revoke_api_client

    with open_services(ctx.settings) as services:
        revoked = revoke_api_client(services, issuer, client, client_id=None)
    emit({"issuer": issuer, "client": revoked.key_id, "revoked": True})


@cli.command()
@pass_context
def openapi(ctx: CliContext) -> None:
    """Print the OpenAPI document (YAML), as committed in openapi.yaml."""
    from badge_issuer.api.app import create_app
    from badge_issuer.api.openapi_doc import render

    sys.stdout.write(render(create_app(ctx.settings)))


@cli.group()
def db() -> None:
    """The database (BADGE_DATABASE_URL)."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: CliContext) -> None:
    """Apply the schema migrations not yet applied (safe to run again; `serve` also does it)."""
    from badge_issuer.application.operations import migrate

    with open_services(ctx.settings) as services:
        migrate(services)
    click.echo(f"database at the current schema: {ctx.settings.database_url.split('@')[-1]}", err=True)
