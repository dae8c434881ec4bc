"""OpenID4VCI key proofs, unit by unit: real Ed25519 and P-256 keys, real JWS (joserfc)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from badge_issuer.crypto.did_jwk import did_public_jwk
from badge_issuer.errors import WalletProtocolError
from badge_issuer.formats.jwk import b64url_encode, public_key_to_jwk
from badge_issuer.formats.vcjwt import REGISTRY
from badge_issuer.wallet.key_proof import did_jwk_of, verify_key_proof
from tests.wallet_client import Wallet

AUD = "https://badges.example/issuers/uni"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def sign(header: dict[str, Any], payload: dict[str, Any], key: OKPKey | ECKey) -> str:
    return jws.serialize_compact(header, json.dumps(payload).encode(), key, registry=REGISTRY)


def claims(**extra: Any) -> dict[str, Any]:
    return {"aud": AUD, "iat": int(NOW.timestamp()), "nonce": "n-1", **extra}


def check(token: str) -> str:
    return verify_key_proof(token, audience=AUD, now=NOW, max_age_seconds=300).holder_did


def error_of(token: object) -> str:
    with pytest.raises(WalletProtocolError) as caught:
        verify_key_proof(token, audience=AUD, now=NOW, max_age_seconds=300)
    return caught.value.error


def test_a_did_key_kid_proves_that_did() -> None:
    wallet = Wallet()
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid}
    assert check(sign(header, claims(), OKPKey.import_key(wallet.key))) == wallet.did


def test_an_es256_jwk_proves_its_did_jwk_and_that_did_jwk_names_the_same_key() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = public_key_to_jwk(private.public_key())
    header = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk}
    did = check(sign(header, claims(), ECKey.import_key(private)))
    assert did == did_jwk_of(jwk) and did_public_jwk(did) == jwk
    # and the did:jwk URL as kid proves the same DID
    header = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": f"{did}#0"}
    assert check(sign(header, claims(), ECKey.import_key(private))) == did


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"typ": "JWT"}, "invalid_proof"),
        ({"alg": "HS256"}, "invalid_proof"),
        ({"crit": ["exp"]}, "invalid_proof"),
        ({"x5c": ["MIIB"]}, "invalid_proof"),
        ({"kid": "did:key:z6MkWrong#z6MkWrong"}, "invalid_proof"),
        ({"kid": "did:web:example.com#key-1"}, "invalid_proof"),
    ],
)
def test_header_rules(change: dict[str, Any], error: str) -> None:
    wallet = Wallet()
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid, **change}
    if header["alg"] == "HS256" or "crit" in header:  # joserfc will not sign these: forge the header
        plain = {name: value for name, value in header.items() if name != "crit"} | {"alg": "EdDSA"}
        token = sign(plain, claims(), OKPKey.import_key(wallet.key))
        token = _with_header(token, header)
    else:
        token = sign(header, claims(), OKPKey.import_key(wallet.key))
    assert error_of(token) == error


def test_a_private_jwk_is_refused() -> None:
    wallet = Wallet()
    private_jwk = OKPKey.import_key(wallet.key).as_dict(private=True)
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": private_jwk}
    assert error_of(sign(header, claims(), OKPKey.import_key(wallet.key))) == "invalid_proof"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (claims(aud=[AUD]), "invalid_proof"),
        (claims(iss="client"), "invalid_proof"),
        (claims(iat=int(NOW.timestamp()) - 301), "invalid_proof"),
        (claims(iat=int(NOW.timestamp()) + 301), "invalid_proof"),
        (claims(iat="now"), "invalid_proof"),
        (claims(exp=int(NOW.timestamp()) - 1), "invalid_proof"),
        ({"aud": AUD, "iat": int(NOW.timestamp())}, "invalid_nonce"),
        (claims(nonce="x" * 200), "invalid_nonce"),
    ],
)
def test_claim_rules(payload: dict[str, Any], error: str) -> None:
    wallet = Wallet()
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid}
    assert error_of(sign(header, payload, OKPKey.import_key(wallet.key))) == error


def test_garbage_and_oversized_tokens_are_invalid_proofs() -> None:
    assert error_of(None) == "invalid_proof"
    assert error_of("a.b") == "invalid_proof"
    assert error_of("e" * 10_000) == "invalid_proof"


def _with_header(token: str, header: dict[str, Any]) -> str:
    _, payload, signature = token.split(".")
    return ".".join([b64url_encode(json.dumps(header).encode()), payload, signature])
