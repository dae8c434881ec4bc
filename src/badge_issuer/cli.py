"""``badge-issuer``: the command line. Each command only calls the library; no logic lives here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from badge_issuer.config import Settings
from badge_issuer.crypto.keys import public_key_multibase
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.session import make_engine
from badge_issuer.errors import BadgeIssuerError

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args, Settings())
    except BadgeIssuerError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
