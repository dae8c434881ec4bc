"""``badge-issuer``: the command line. Each command only calls the library; no logic lives here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from badge_issuer.config import Settings
from badge_issuer.crypto.keys import public_key_multibase
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.session import make_engine
from badge_issuer.errors import BadgeIssuerError

if TYPE_CHECKING:
    from badge_issuer.application.services import Services

DEV_KEY = "dev"

Command = Callable[[argparse.Namespace, Settings], int]


def _keystore(settings: Settings) -> KeyStore:
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    return KeyStore(settings.keys_dir, passphrase=passphrase)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create the development key and the database (both only if missing)."""
    keystore = _keystore(settings)
    if keystore.exists(DEV_KEY):
        print(f"key '{DEV_KEY}' present in {settings.keys_dir}/")
    else:
        keystore.create(DEV_KEY)
        print(f"created Ed25519 key '{DEV_KEY}' in {settings.keys_dir}/ (mode 0600)")
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    print(
        "next: .venv/bin/badge-issuer issuers create SLUG --name 'Example University' "
        "(prints the issuer's first admin API key)"
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API with uvicorn."""
    import uvicorn

    from badge_issuer.api.app import create_app

    print(f"serving {settings.base_url} on http://{args.host}:{args.port}")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    keystore = _keystore(settings)
    keystore.create(args.name)
    print(json.dumps({"name": args.name, "publicKeyMultibase": _public(keystore, args.name)}))
    return 0


def cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    keystore = _keystore(settings)
    for name in keystore.list():
        print(json.dumps({"name": name, "publicKeyMultibase": _public(keystore, name)}))
    return 0


def cmd_issuers_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create an issuer (key, status lists) and its first admin API client."""
    from badge_issuer.application.tenants import create_issuer_with_admin
    from badge_issuer.credential.requests import IssuerCreate

    data = IssuerCreate.model_validate(
        {
            "slug": args.slug,
            "name": args.name,
            "url": args.url,
            "email": args.email,
            "didMethod": args.did_method,
            "suspension": args.suspension,
        }
    )
    with _services(settings, migrate=True) as services:
        created = create_issuer_with_admin(services, data)
    issuer = created.issuer
    print(json.dumps({"issuer": issuer.slug, "id": issuer.did, "adminApiKey": created.admin.api_key}))
    print("keep the API key: it is shown only once", file=sys.stderr)
    return 0


def cmd_clients_create(args: argparse.Namespace, settings: Settings) -> int:
    """Create an API client of an issuer with the given scopes."""
    from badge_issuer.application.tenants import new_client
    from badge_issuer.credential.requests import ClientCreate

    data = ClientCreate.model_validate({"name": args.name, "scopes": args.scope})
    with _services(settings) as services:
        created = new_client(services, args.issuer, data)
    print(json.dumps({"issuer": args.issuer, "scopes": data.scopes, "apiKey": created.api_key}))
    return 0


def cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    """Print the OpenAPI document (YAML) of the app, as committed in openapi.yaml."""
    from badge_issuer.api.app import create_app
    from badge_issuer.api.openapi_doc import render

    sys.stdout.write(render(create_app(settings)))
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify a badge file (JSON, VC-JWT, baked PNG or SVG); print the report; exit 0 if verified."""
    from pathlib import Path

    from badge_issuer.application.verifying import verify_presented

    path = Path(args.file)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    media = {".png": "image/png", ".svg": "image/svg+xml", ".jwt": "text/plain", ".jws": "text/plain"}
    # the same context as the service: this deployment's issuers and status lists come from its
    # database, everyone else's over the guarded fetcher
    with _services(settings, migrate=True) as services:
        report = verify_presented(
            services, data, content_type=media.get(path.suffix.lower()), recipient=args.recipient
        )
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    return 0 if report.verified else 1


def cmd_clients_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Revoke an API client's key (it stops working at once)."""
    from badge_issuer.application.tenants import revoke_api_client

    with _services(settings) as services:
        client = revoke_api_client(services, args.issuer, args.client)
    print(json.dumps({"issuer": args.issuer, "client": client.key_id, "revoked": True}))
    return 0


@contextmanager
def _services(settings: Settings, *, migrate: bool = False) -> Iterator[Services]:
    """The composition root's Services for one command, closed afterwards."""
    from badge_issuer.application.services import build_services

    services = build_services(settings)
    try:
        if migrate:
            upgrade(services.engine)
        yield services
    finally:
        services.close()


def _public(keystore: KeyStore, name: str) -> str:
    return public_key_multibase(keystore.public_key(name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="badge-issuer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help=cmd_init.__doc__).set_defaults(run=cmd_init)
    serve = commands.add_parser("serve", help=cmd_serve.__doc__)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)
    keys = commands.add_parser("keys", help="manage signing keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create an Ed25519 key")
    create.add_argument("name")
    create.set_defaults(run=cmd_keys_create)
    keys.add_parser("list", help="list keys and their public keys").set_defaults(run=cmd_keys_list)
    commands.add_parser("openapi", help=cmd_openapi.__doc__).set_defaults(run=cmd_openapi)
    issuers = commands.add_parser("issuers", help="manage issuers").add_subparsers(
        dest="issuers_command", required=True
    )
    new_issuer = issuers.add_parser("create", help=cmd_issuers_create.__doc__)
    new_issuer.add_argument("slug")
    new_issuer.add_argument("--name", required=True)
    new_issuer.add_argument("--url")
    new_issuer.add_argument("--email")
    new_issuer.add_argument("--did-method", choices=["web", "key"], default="web")
    new_issuer.add_argument("--suspension", action="store_true", help="also allocate suspension entries")
    new_issuer.set_defaults(run=cmd_issuers_create)
    clients = commands.add_parser("clients", help="manage API clients").add_subparsers(
        dest="clients_command", required=True
    )
    new_client = clients.add_parser("create", help=cmd_clients_create.__doc__)
    new_client.add_argument("issuer")
    new_client.add_argument("--name", required=True)
    new_client.add_argument(
        "--scope", action="append", required=True, choices=["issue", "revoke", "read", "admin"]
    )
    new_client.set_defaults(run=cmd_clients_create)
    gone = clients.add_parser("revoke", help=cmd_clients_revoke.__doc__)
    gone.add_argument("issuer")
    gone.add_argument("client", help="the client id (the part after bik_ and before the dot)")
    gone.set_defaults(run=cmd_clients_revoke)
    verify = commands.add_parser("verify", help=cmd_verify.__doc__)
    verify.add_argument("file", help="the badge file, or - for standard input")
    verify.add_argument("--recipient", metavar="EMAIL", help="also check that the badge was awarded to EMAIL")
    verify.set_defaults(run=cmd_verify)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; ``settings`` default to the environment (``BADGE_*``)."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args, settings if settings is not None else Settings())
    except BadgeIssuerError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
