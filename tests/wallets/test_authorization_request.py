"""OpenID4VCI authorization requests (§5.1) as ``wallet.authorization`` checks them, and PKCE S256
(RFC 7636 Appendix B's example)."""

from __future__ import annotations

import json

import pytest

from badge_issuer.errors import WalletAuthorizationRefused, WalletProtocolError
from badge_issuer.wallet.authorization import parse_details, parse_request, pkce_matches

ISSUER = "https://badges.example/issuers/uni"
CALLBACK = "https://wallet.example/cb"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
DETAILS = json.dumps([{"type": "openid_credential", "credential_configuration_id": "python-data"}])


def params(**overrides: str | None) -> list[tuple[str, str]]:
    values: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "wallet-1",
        "redirect_uri": CALLBACK,
        "state": "s-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "authorization_details": DETAILS,
    }
    values.update(overrides)
    return [(name, value) for name, value in values.items() if value is not None]


def parse(pairs: list[tuple[str, str]]) -> object:
    return parse_request(
        pairs,
        issuer=ISSUER,
        configurations={"python-data", "sql"},
        redirect_uris=lambda client: [CALLBACK] if client == "wallet-1" else None,
    )


def refused(pairs: list[tuple[str, str]]) -> WalletAuthorizationRefused:
    with pytest.raises(WalletAuthorizationRefused) as caught:
        parse(pairs)
    assert caught.value.redirect_uri == CALLBACK
    return caught.value


def test_a_request_by_details_and_scope() -> None:
    ask = parse_request(
        params(scope="openbadge:sql openbadge:python-data openid openbadge:unknown", issuer_state="st"),
        issuer=ISSUER,
        configurations={"python-data", "sql"},
        redirect_uris=lambda client: [CALLBACK],
    )
    assert [(r.configuration_id, r.by) for r in ask.requested] == [
        ("python-data", "details"),
        ("sql", "scope"),
    ]
    assert (ask.state, ask.issuer_state, ask.code_challenge) == ("s-1", "st", CHALLENGE)


def test_an_unknown_client_or_redirect_uri_is_never_redirected_to() -> None:
    for pairs in (
        params(client_id="nobody"),
        params(redirect_uri="https://evil.example/cb"),
        params(client_id=None),
        [*params(), ("redirect_uri", CALLBACK)],
    ):
        with pytest.raises(WalletProtocolError) as caught:
            parse(pairs)
        assert not isinstance(caught.value, WalletAuthorizationRefused)


@pytest.mark.parametrize(
    ("pairs", "error"),
    [
        ([*params(), ("scope", "a"), ("scope", "b")], "invalid_request"),
        (params(state="x" * 513), "invalid_request"),
        (params(issuer_state="x" * 200), "invalid_request"),
        (params(scope="y" * 5000), "invalid_request"),
        (params(request="eyJ..."), "invalid_request"),
        (params(response_type="token"), "unsupported_response_type"),
        (params(response_mode="fragment"), "invalid_request"),
        (params(code_challenge=None), "invalid_request"),
        (params(code_challenge="short"), "invalid_request"),
        (params(code_challenge_method="plain"), "invalid_request"),
        (params(authorization_details="not json"), "invalid_authorization_details"),
        (params(authorization_details="[]"), "invalid_authorization_details"),
        (params(authorization_details='[{"type": "payment_initiation"}]'), "invalid_authorization_details"),
        (
            params(
                authorization_details='[{"type": "openid_credential", "credential_configuration_id": "x"}]'
            ),
            "invalid_authorization_details",
        ),
        (
            params(
                authorization_details=json.dumps(
                    [
                        {
                            "type": "openid_credential",
                            "credential_configuration_id": "sql",
                            "locations": ["https://other.example"],
                        }
                    ]
                )
            ),
            "invalid_authorization_details",
        ),
        (params(authorization_details=None, scope="openid"), "invalid_scope"),
        (params(authorization_details=None), "invalid_request"),
    ],
)
def test_refusals_go_back_to_the_wallet_with_the_state(pairs: list[tuple[str, str]], error: str) -> None:
    refusal = refused(pairs)
    assert refusal.error == error
    assert refusal.state == (None if dict(pairs).get("state", "") != "s-1" else "s-1")


def test_details_may_repeat_a_configuration_and_name_this_issuer_in_locations() -> None:
    details = [
        {"type": "openid_credential", "credential_configuration_id": "sql", "locations": [ISSUER]},
        {"type": "openid_credential", "credential_configuration_id": "sql", "claims": [{"path": ["name"]}]},
    ]
    assert parse_details(json.dumps(details), ISSUER, {"sql"}) == ["sql"]
    assert parse_details(None, ISSUER, {"sql"}) == []


def test_pkce_s256() -> None:
    assert pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", CHALLENGE)
    assert not pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", CHALLENGE)
    assert not pkce_matches("too-short", CHALLENGE)
    assert not pkce_matches(None, CHALLENGE)
