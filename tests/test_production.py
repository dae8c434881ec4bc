"""BADGE_ENVIRONMENT=production refuses unsafe settings, and every start checks the issuers' DIDs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from badge_issuer.config import Settings
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.errors import ConfigurationError
from badge_issuer.production import StoredIssuer, did_findings, refuse_or_warn, settings_findings
from badge_issuer.urls import Urls
from tests.conftest import LiveServer

SAFE = {
    "environment": "production",
    "base_url": "https://badges.example.edu",
    "recipient_pepper": "a-long-random-production-pepper",
    "key_passphrase": "correct horse battery staple",
    "deployment_key": "deployment",
}


@pytest.fixture
def production(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def build(**overrides: object) -> Settings:
        return make_settings(**{**SAFE, **overrides})

    return build


def _findings(settings: Settings) -> list[str]:
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    keystore = KeyStore(settings.keys_dir, passphrase=passphrase)
    return settings_findings(settings, keystore, deployment_key=settings.deployment_key)


def test_safe_production_settings_have_no_findings(production: Callable[..., Settings]) -> None:
    settings = production()
    KeyStore(settings.keys_dir, passphrase=SAFE["key_passphrase"]).create("deployment")
    assert _findings(settings) == []


def test_a_non_https_base_url_is_refused(production: Callable[..., Settings]) -> None:
    [finding] = _findings(production(base_url="http://badges.example.edu"))
    assert "BADGE_BASE_URL must be an https URL" in finding


def test_the_development_key_is_refused(production: Callable[..., Settings]) -> None:
    [finding] = _findings(production(deployment_key="dev"))
    assert "development key 'dev'" in finding


def test_key_files_without_a_passphrase_are_refused(production: Callable[..., Settings]) -> None:
    [finding] = _findings(production(key_passphrase=None))
    assert "BADGE_KEY_PASSPHRASE" in finding


def test_unencrypted_key_files_are_refused_even_with_a_passphrase(
    production: Callable[..., Settings],
) -> None:
    settings = production()
    KeyStore(settings.keys_dir).create("dev")  # made by `badge-issuer init` before the passphrase was set
    [finding] = _findings(settings)
    assert finding == "unencrypted key files: dev"


def test_development_secrets_are_refused_by_the_settings_themselves(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ValidationError, match="BADGE_RECIPIENT_PEPPER"):
        make_settings(**{**SAFE, "recipient_pepper": "dev-only-recipient-pepper"})
    with pytest.raises(ValidationError, match="BADGE_ALLOW_PRIVATE_FETCH"):
        make_settings(**{**SAFE, "allow_private_fetch": True})


def test_did_web_issuers_of_another_base_url_are_found() -> None:
    here = "https://badges.example.edu"
    issuers = [
        StoredIssuer("uni", Urls.of(here).issuer_did_web("uni"), "web"),
        StoredIssuer("old", Urls.of("http://127.0.0.1:8000").issuer_did_web("old"), "web"),
        StoredIssuer("keyed", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "key"),
    ]
    [finding] = did_findings(here, issuers)
    assert "1 issuer(s)" in finding
    assert "did:web:127.0.0.1%3A8000:issuers:old" in finding
    assert "did:web:badges.example.edu:issuers:old" in finding
    assert did_findings(here, issuers[:1] + issuers[2:]) == []


def test_production_refuses_and_development_warns(
    production: Callable[..., Settings], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigurationError, match="refusing to start in production: a; b"):
        refuse_or_warn(production(), ["a", "b"])
    with caplog.at_level(logging.WARNING, logger="badge_issuer.production"):
        refuse_or_warn(settings, ["issuers have the wrong DID"])
    assert "CONFIGURATION WARNING: issuers have the wrong DID" in caplog.text


def _cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from badge_issuer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args), settings)
    return code, out.getvalue(), err.getvalue()


def test_issuers_create_refuses_to_guess_the_base_url(tmp_path: Path) -> None:
    """Before: an issuer made from a shell without BADGE_BASE_URL got did:web:127.0.0.1%3A8000."""
    implicit = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", keys_dir=tmp_path / "keys")
    assert "base_url" not in implicit.model_fields_set
    code, out, err = _cli(implicit, "issuers", "create", "uni", "--name", "Uni")
    assert code == 2
    assert out == ""
    assert err.startswith("error: set BADGE_BASE_URL (or pass --base-url)")
    assert err.count("\n") == 1
    code, out, _ = _cli(
        implicit, "issuers", "create", "uni", "--name", "Uni", "--base-url", "https://b.example.edu"
    )
    assert code == 0
    assert json.loads(out)["id"] == "did:web:b.example.edu:issuers:uni"


def test_cli_warns_about_issuers_of_another_base_url_and_production_refuses(
    make_settings: Callable[..., Settings], production: Callable[..., Settings]
) -> None:
    assert (
        _cli(make_settings(base_url="http://127.0.0.1:8000"), "issuers", "create", "uni", "--name", "U")[0]
        == 0
    )
    code, _, err = _cli(
        make_settings(base_url="https://badges.example.edu"),
        "clients",
        "create",
        "uni",
        "--name",
        "LMS",
        "--scope",
        "issue",
    )
    assert code == 0
    assert err.startswith(
        "warning: 1 issuer(s) have a did:web that BADGE_BASE_URL 'https://badges.example.edu'"
    )
    code, out, err = _cli(production(), "clients", "create", "uni", "--name", "LMS", "--scope", "issue")
    assert code == 2
    assert out == ""
    assert err.startswith("error: refusing to run in production: 1 issuer(s)")


def _start(settings: Settings) -> None:
    """Run the app's start-up (its lifespan), as uvicorn does before serving."""
    import asyncio

    from badge_issuer.api.app import create_app

    app = create_app(settings)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(start_and_stop())


def test_the_app_refuses_to_start_in_production_with_foreign_dids(
    production: Callable[..., Settings], make_settings: Callable[..., Settings]
) -> None:
    _cli(make_settings(base_url="http://127.0.0.1:8000"), "issuers", "create", "uni", "--name", "U")
    settings = production()
    _cli(settings, "init")
    with pytest.raises(ConfigurationError, match=r"refusing to start in production: .*did:web:127\.0\.0\.1"):
        _start(settings)


def test_the_app_refuses_to_start_in_production_on_unsafe_settings(
    production: Callable[..., Settings],
) -> None:
    settings = production(base_url="http://badges.example.edu", key_passphrase=None)
    _cli(settings, "init")
    with pytest.raises(
        ConfigurationError, match=r"https.*BADGE_KEY_PASSPHRASE.*unencrypted key files: deployment"
    ):
        _start(settings)


def test_the_server_starts_in_production_when_all_is_safe(live_server: Callable[..., LiveServer]) -> None:
    server = live_server(**SAFE)
    assert httpx.get(f"{server.url}/readyz").json()["status"] == "ready"
    assert KeyStore(server.settings.keys_dir).is_encrypted("deployment")


def test_the_server_warns_loudly_about_foreign_dids_outside_production(
    live_server: Callable[..., LiveServer],
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _cli(make_settings(base_url="http://127.0.0.1:8000"), "issuers", "create", "uni", "--name", "U")
    with caplog.at_level(logging.WARNING, logger="badge_issuer.production"):
        live_server()
    assert "CONFIGURATION WARNING: 1 issuer(s) have a did:web" in caplog.text
