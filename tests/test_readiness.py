"""Readiness: every check can fail on its own, and a check that could not run is not a pass."""

from __future__ import annotations

import json
from collections.abc import Callable

from badge_issuer.application.services import build_services
from badge_issuer.config import Settings
from badge_issuer.db.migrate import head_revision
from badge_issuer.readiness import check_readiness
from tests.conftest import run_cli


def _readiness(settings: Settings) -> dict[str, object]:
    services = build_services(settings)
    try:
        return check_readiness(services.engine, services.readers, services.signer_for).to_json()
    finally:
        services.close()


def test_an_empty_database_is_not_ready(settings: Settings) -> None:
    body = _readiness(settings)
    assert body["status"] == "not ready"
    assert body["checks"] == {
        "database": "ok",
        "schema": f"database at revision none (empty), code expects {head_revision()}",
        "signing_keys": "not checked",
    }


def test_an_unreachable_database_is_not_ready(make_settings: Callable[..., Settings]) -> None:
    # nothing listens on port 1: the connection is refused at once
    settings = make_settings(database_url="postgresql+psycopg://reader:secret@127.0.0.1:1/badges")
    body = _readiness(settings)
    assert body == {
        "status": "not ready",
        "checks": {"database": "unreachable", "schema": "not checked", "signing_keys": "not checked"},
    }


def test_a_migrated_database_with_loadable_keys_is_ready(settings: Settings) -> None:
    run_cli(settings, "init")
    run_cli(settings, "issuers", "create", "uni", "--name", "Uni")
    assert _readiness(settings) == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "signing_keys": "ok"},
    }


def test_a_swapped_or_missing_key_file_is_not_ready(settings: Settings) -> None:
    run_cli(settings, "init")
    run_cli(settings, "issuers", "create", "uni", "--name", "Uni")
    run_cli(settings, "issuers", "create", "college", "--name", "College")
    [uni_key] = settings.keys_dir.glob("uni-*.pem")
    [college_key] = settings.keys_dir.glob("college-*.pem")
    uni_key.write_bytes((settings.keys_dir / "dev.pem").read_bytes())  # another key under its name
    college_key.unlink()
    body = _readiness(settings)
    assert body["status"] == "not ready"
    reason = body["checks"]["signing_keys"]  # type: ignore[index]
    assert "uni" in reason
    assert "college" in reason
    assert str(settings.keys_dir) not in json.dumps(body)
