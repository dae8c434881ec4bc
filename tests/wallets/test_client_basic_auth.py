"""The wallet's client_secret_basic credentials are form-urlencoded before base64 (RFC 6749
§2.3.1): a '+' in them is a space, '%2B' a plus — against a real database."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote_plus

import pytest

from badge_issuer.application import build_services, wallet_tokens
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.tables import OAuthClient
from badge_issuer.errors import WalletProtocolError
from badge_issuer.oauth import secrets as oauth_secrets
from tests.application.conftest import NOW


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_client_credentials_are_form_urlencoded(make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings(), clock=fixed_clock(NOW))
    upgrade(services.engine)
    try:
        with services.sessions() as session, session.begin():
            session.add(
                OAuthClient(
                    id="wallet one",
                    secret_hash=oauth_secrets.digest("s+e cret"),
                    client_name="Wallet",
                    metadata_json=json.dumps({"redirect_uris": ["https://wallet.example/cb"]}),
                    issued_at=NOW,
                )
            )
        with services.sessions() as session:
            encoded = basic(quote_plus("wallet one"), quote_plus("s+e cret"))
            assert encoded == basic("wallet+one", "s%2Be+cret")
            assert wallet_tokens.authenticated_client(encoded, session) == "wallet one"
            with pytest.raises(WalletProtocolError):
                wallet_tokens.authenticated_client(basic("wallet+one", "s+e+cret"), session)
    finally:
        services.close()
