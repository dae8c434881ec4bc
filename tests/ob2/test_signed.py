"""OB 2.0 signed assertions (RS256 JWS): the key, its link to the issuer, the revocation list."""

from __future__ import annotations

import json

import pytest

from badge_issuer.formats.jwk import b64url_decode, b64url_encode
from badge_issuer.verification import verify_badge
from tests.ob2.publisher import EMAIL, Publisher, pem, rsa_key, sign_jws
from tests.ob2.test_hosted import message, statuses


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


def test_a_signed_assertion_verifies(publisher: Publisher) -> None:
    token = publisher.sign(publisher.assertion(method="signed"))
    report = verify_badge(token, content_type="text/plain", ctx=publisher.context(), recipient=EMAIL)
    assert report.verified, report.to_json()
    assert statuses(report) == {
        "format": "passed",
        "proof": "passed",
        "issuer_key": "passed",
        "validity": "passed",
        "status": "passed",
        "recipient": "passed",
    }
    assert message(report, "format") == "an Open Badges 2.0 signed assertion"
    assert message(report, "proof") == f"the JWS signature (RS256) verifies with {publisher.key_id}"
    assert report.summary["format"] == "Open Badges 2.0 (signed)"
    assert report.summary["issuer"]["name"] == "Example University"
    assert verify_badge({"jwt": token}, ctx=publisher.context()).verified


def test_without_a_creator_the_issuers_declared_keys_are_tried(publisher: Publisher) -> None:
    assertion = publisher.assertion(method="signed", verification={"type": "SignedBadge"})
    assert verify_badge(publisher.sign(assertion), ctx=publisher.context()).verified


def test_a_tampered_payload_fails_the_proof(publisher: Publisher) -> None:
    head, body, signature = publisher.sign(publisher.assertion(method="signed")).split(".")
    payload = json.loads(b64url_decode(body, "payload"))
    payload["issuedOn"] = "2020-01-01T00:00:00+00:00"
    forged = f"{head}.{b64url_encode(json.dumps(payload).encode())}.{signature}"
    report = verify_badge(forged, ctx=publisher.context())
    assert not report.verified
    assert statuses(report)["proof"] == "failed"
    assert "does not verify" in message(report, "proof")
    assert statuses(report)["issuer_key"] == "skipped"


def test_signed_with_another_key_than_the_creator_fails(publisher: Publisher) -> None:
    token = publisher.sign(publisher.assertion(method="signed"), key=rsa_key())
    report = verify_badge(token, ctx=publisher.context())
    assert statuses(report)["proof"] == "failed" and not report.verified


def test_a_key_the_forger_publishes_is_not_the_issuers(publisher: Publisher) -> None:
    """The JWS verifies with the forger's key document, but neither owner nor publicKey link it."""
    forger = rsa_key()
    key_url = "https://evil.example/key"
    publisher.served[key_url] = {
        "type": "CryptographicKey",
        "id": key_url,
        "owner": "https://evil.example/issuer",
        "publicKeyPem": pem(forger),
    }
    assertion = publisher.assertion(method="signed", verification={"type": "SignedBadge", "creator": key_url})
    report = verify_badge(publisher.sign(assertion, key=forger), ctx=publisher.context())
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer_key"] == "failed"
    assert "not the issuer" in message(report, "issuer_key")
    assert not report.verified

    publisher.served[key_url]["owner"] = publisher.issuer_id  # claims the issuer; the issuer does not list it
    report = verify_badge(publisher.sign(assertion, key=forger), ctx=publisher.context())
    assert "does not list the key" in message(report, "issuer_key")
    assert not report.verified


@pytest.mark.parametrize("entry", ["plain id", "object with reason"])
def test_revoked_in_the_issuers_revocation_list(publisher: Publisher, entry: str) -> None:
    assertion = publisher.assertion(method="signed")
    publisher.revoke(assertion["id"], "Awarded in error" if entry != "plain id" else None)
    report = verify_badge(publisher.sign(assertion), ctx=publisher.context())
    assert not report.verified
    assert statuses(report)["status"] == "failed"
    assert message(report, "status").startswith("revoked: the issuer's revocation list names it")


def test_a_revocation_list_of_another_issuer_is_refused(publisher: Publisher) -> None:
    publisher.served[publisher.list_id]["issuer"] = "https://evil.example/issuer"
    report = verify_badge(publisher.sign(publisher.assertion(method="signed")), ctx=publisher.context())
    assert statuses(report)["status"] == "failed" and not report.verified


def test_expired_signed_assertion(publisher: Publisher) -> None:
    token = publisher.sign(publisher.assertion(method="signed", expires="2026-02-01T00:00:00Z"))
    report = verify_badge(token, ctx=publisher.context())
    assert statuses(report)["validity"] == "failed" and not report.verified


def test_alg_none_and_hmac_are_refused(publisher: Publisher) -> None:
    payload = publisher.assertion(method="signed")
    for header in ({"alg": "none"}, {"alg": "HS256"}):
        head = b64url_encode(json.dumps(header).encode())
        body = b64url_encode(json.dumps(payload).encode())
        report = verify_badge(f"{head}.{body}.AAAA", ctx=publisher.context())
        assert statuses(report)["proof"] == "failed" and not report.verified


def test_a_jws_around_a_hosted_assertion_is_malformed(publisher: Publisher) -> None:
    token = sign_jws(publisher.assertion(), publisher.key)
    report = verify_badge(token, ctx=publisher.context())
    assert statuses(report)["format"] == "failed"
    assert "must declare SignedBadge" in message(report, "format")
