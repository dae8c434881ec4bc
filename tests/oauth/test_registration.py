"""The OB rules on a wallet's registration metadata, through Authlib's claims validation."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.errors import JoseError

from badge_issuer.oauth.registration import OpenBadgesClientClaims, server_metadata
from tests.wallet import registration


def check(**overrides: Any) -> None:
    body = registration(**overrides)
    options = OpenBadgesClientClaims.get_claims_options(server_metadata())
    OpenBadgesClientClaims(body, {}, options, server_metadata()).validate()


def test_a_complete_registration_passes() -> None:
    check()
    check(
        client_uri="https://wallet.example/",
        logo_uri="https://wallet.example/l.png",
        tos_uri="https://wallet.example/t",
        policy_uri="https://wallet.example/p",
        redirect_uris=["https://wallet.example/cb", "https://wallet.example/cb2"],
    )
    check(
        client_uri="http://localhost:3000/",
        logo_uri="http://localhost:3000/l.png",
        tos_uri="http://localhost:3000/t",
        policy_uri="http://localhost:3000/p",
        redirect_uris=["http://localhost:3000/cb"],
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_name": None},
        {"software_version": ""},
        {"software_id": 7},
        {"redirect_uris": "http://127.0.0.1:9/callback"},
        {"redirect_uris": []},
        {"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly openid"},
        {"client_uri": "http://wallet.example/"},
        {"tos_uri": "https://127.0.0.1:9/tos#frag"},
        {"policy_uri": "ftp://127.0.0.1:9/p"},
        {"redirect_uris": ["http://[::1]:9/cb"]},
        {"token_endpoint_auth_method": "none"},
        {"response_types": ["token"]},
        {"contacts": "ops@wallet.example"},
        {"client_name": "x" * 2001},
    ],
)
def test_what_the_ob_api_refuses(overrides: dict[str, Any]) -> None:
    with pytest.raises(JoseError):
        check(**overrides)
