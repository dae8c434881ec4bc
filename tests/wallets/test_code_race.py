"""Two redemptions of one OpenID4VCI authorization code at the same moment (PostgreSQL, where both
may read the code unused before either writes): the one that loses must void the token the other
got, as a replay does (RFC 6749 §4.1.2: a code used twice revokes what it gave)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from badge_issuer.application import build_services, wallet_tokens
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.tables import Issuer, OAuthClient, WalletAuthorization
from badge_issuer.errors import WalletProtocolError
from badge_issuer.oauth import secrets as oauth_secrets
from badge_issuer.wallet import secrets
from tests.application.conftest import NOW, make_issuer

REDIRECT = "https://wallet.example/cb"
VERIFIER = "v" * 43


def test_the_loser_of_a_concurrent_redemption_voids_the_winners_token(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite writers begin IMMEDIATE: two redemptions never overlap there")
    services = build_services(make_settings(database_url=database_url), clock=fixed_clock(NOW))
    upgrade(services.engine)
    try:
        make_issuer(services, "uni")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
        with services.sessions() as session, session.begin():
            issuer_id = session.scalars(select(Issuer.id).where(Issuer.slug == "uni")).one()
            session.add(
                OAuthClient(
                    id="wallet",
                    secret_hash=oauth_secrets.digest("secret"),
                    client_name="Wallet",
                    metadata_json=json.dumps({"redirect_uris": [REDIRECT]}),
                    issued_at=NOW,
                )
            )
            session.flush()
            authorization = WalletAuthorization(
                issuer_id=issuer_id,
                client_id="wallet",
                learner="ada",
                redirect_uri=REDIRECT,
                code_challenge=challenge.decode(),
                code_hash=secrets.digest("the-code"),
                granted_json=json.dumps(
                    [{"configuration": "python-data", "credentials": ["x"], "by": "scope"}]
                ),
                code_expires_at=NOW + timedelta(minutes=10),
                created_at=NOW,
            )
            session.add(authorization)
            session.flush()
            row_id = authorization.id
        winner = secrets.digest("the-winners-token")
        raced: list[bool] = []

        def the_other_redemption_commits_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if raced or not statement.startswith("UPDATE wallet_authorizations SET used_at"):
                return
            raced.append(True)  # between this request's read and its write, the other one wins
            with services.engine.begin() as other:
                other.execute(
                    update(WalletAuthorization)
                    .where(WalletAuthorization.id == row_id)
                    .values(used_at=NOW, access_token_hash=winner, access_expires_at=NOW + timedelta(hours=1))
                )

        event.listen(services.engine, "before_cursor_execute", the_other_redemption_commits_first)
        basic = "Basic " + base64.b64encode(b"wallet:secret").decode()
        form = {
            "grant_type": "authorization_code",
            "code": "the-code",
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        }
        with pytest.raises(WalletProtocolError) as refused:
            wallet_tokens.redeem_code(services, "uni", form=form, authorization=basic)
        event.remove(services.engine, "before_cursor_execute", the_other_redemption_commits_first)
        assert raced and refused.value.error == "invalid_grant"
        with pytest.raises(WalletProtocolError) as void:
            wallet_tokens.authorized(services, "uni", "the-winners-token")
        assert void.value.error == "invalid_token"
    finally:
        services.close()
