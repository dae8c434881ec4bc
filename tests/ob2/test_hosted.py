"""OB 2.0 hosted assertions through ``verify_badge``: the hosted copy, the issuer's scope, revocation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from badge_issuer.checks import VerifyOptions
from badge_issuer.verification import VerificationReport, verify_badge
from tests.badges import NOW
from tests.ob2.publisher import EMAIL, Publisher


def statuses(report: VerificationReport) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


def message(report: VerificationReport, check_id: str) -> str:
    return next(check.message for check in report.checks if check.id == check_id)


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


def test_a_hosted_assertion_verifies_and_reads_like_an_ob3_report(publisher: Publisher) -> None:
    presented = publisher.host(publisher.assertion())
    report = verify_badge(presented, ctx=publisher.context())
    assert report.verified, report.to_json()
    assert statuses(report) == {
        "format": "passed",
        "proof": "passed",
        "issuer_key": "passed",
        "validity": "passed",
        "status": "passed",
        "recipient": "skipped",
    }
    assert message(report, "format") == "an Open Badges 2.0 hosted assertion"
    assert report.summary["format"] == "Open Badges 2.0 (hosted)"
    assert report.summary["issuer"] == {"id": publisher.issuer_id, "name": "Example University"}
    assert report.summary["achievement"] == "Data Analysis with Python"
    assert report.summary["recipient"] == "email (hashed; the value is not shown)"
    # the assertion, its BadgeClass, the issuer Profile and its revocation list, all fetched
    assert set(publisher.requested) == {
        presented["id"],
        publisher.badge_id,
        publisher.issuer_id,
        publisher.list_id,
    }


def test_the_recipient_check_compares_a_given_email_with_the_salted_hash(publisher: Publisher) -> None:
    presented = publisher.host(publisher.assertion())
    report = verify_badge(presented, ctx=publisher.context(), recipient=EMAIL.upper())
    assert report.verified and statuses(report)["recipient"] == "passed"
    assert EMAIL not in str(report.to_json()).lower()

    report = verify_badge(presented, ctx=publisher.context(), recipient="mallory@example.org")
    assert not report.verified
    assert statuses(report)["recipient"] == "failed"
    assert message(report, "recipient") == "the given email address is not the recipient of this badge"


def test_the_hosted_copy_is_the_truth_a_presented_copy_that_differs_fails(publisher: Publisher) -> None:
    presented = publisher.host(publisher.assertion())
    presented["issuedOn"] = "2020-01-01T00:00:00+00:00"
    presented["badge"] = f"{publisher.origin}/badges/medicine"
    report = verify_badge(presented, ctx=publisher.context())
    assert not report.verified
    assert statuses(report)["proof"] == "failed"
    assert "differs from the copy hosted at its id (in: badge, issuedOn)" in message(report, "proof")
    assert statuses(report)["issuer_key"] == "skipped"


def test_an_assertion_id_on_another_origin_is_outside_the_issuers_scope(publisher: Publisher) -> None:
    # evil.example hosts an assertion of the university's BadgeClass
    forged = publisher.host(publisher.assertion(id="https://evil.example/assertions/1"))
    report = verify_badge(forged, ctx=publisher.context())
    assert statuses(report)["proof"] == "passed"  # it is hosted where it says…
    assert statuses(report)["issuer_key"] == "failed"  # …but not where the issuer allows
    assert "is not on the issuer's origin" in message(report, "issuer_key")
    assert not report.verified


def test_allowed_origins_and_starts_with_declared_by_the_issuer(publisher: Publisher) -> None:
    publisher.issuer["verification"] = {"type": "VerificationObject", "allowedOrigins": ["cdn.example.net"]}
    on_cdn = publisher.host(publisher.assertion(id="https://cdn.example.net/a/1"))
    assert verify_badge(on_cdn, ctx=publisher.context()).verified
    at_home = publisher.host(publisher.assertion())
    report = verify_badge(at_home, ctx=publisher.context())
    assert "not in the issuer's allowedOrigins" in message(report, "issuer_key")

    publisher.issuer["verification"] = {"startsWith": f"{publisher.origin}/assertions/"}
    assert verify_badge(at_home, ctx=publisher.context()).verified
    elsewhere = publisher.host(publisher.assertion(id=f"{publisher.origin}/other/1"))
    report = verify_badge(elsewhere, ctx=publisher.context())
    assert "does not start with" in message(report, "issuer_key")


def test_an_embedded_issuer_cannot_widen_its_own_scope(publisher: Publisher) -> None:
    """A forger embeds an issuer that 'allows' its origin; the Profile is fetched from its id anyway."""
    badge = dict(publisher.served[publisher.badge_id])
    badge["issuer"] = {**publisher.issuer, "verification": {"allowedOrigins": "evil.example"}}
    badge["id"] = "urn:uuid:5d1e1d6b-bbd1-4f3c-a3a9-4e4c7b1c1f11"
    forged = publisher.host(publisher.assertion(id="https://evil.example/assertions/2", badge=badge))
    report = verify_badge(forged, ctx=publisher.context())
    assert statuses(report)["issuer_key"] == "failed"
    assert not report.verified


@pytest.mark.parametrize("how", ["revoked flag", "410 Gone"])
def test_a_revoked_hosted_assertion(publisher: Publisher, how: str) -> None:
    presented = publisher.host(publisher.assertion())
    if how == "410 Gone":
        publisher.served[presented["id"]] = 410
    else:
        publisher.served[presented["id"]] = {
            "@context": presented["@context"],
            "id": presented["id"],
            "revoked": True,
            "revocationReason": "Awarded in error",
        }
    report = verify_badge(presented, ctx=publisher.context())
    assert not report.verified
    assert statuses(report)["status"] == "failed"
    assert message(report, "status").startswith("revoked by the issuer")
    if how == "revoked flag":
        assert message(report, "status") == "revoked by the issuer: Awarded in error"
    assert statuses(report)["validity"] == "skipped"


def test_the_issuers_revocation_list_applies_to_hosted_assertions_too(publisher: Publisher) -> None:
    presented = publisher.host(publisher.assertion())
    publisher.revoke(presented["id"], "Policy violation")
    report = verify_badge(presented, ctx=publisher.context())
    assert statuses(report)["status"] == "failed"
    assert message(report, "status") == "revoked: the issuer's revocation list names it: Policy violation"


@pytest.mark.parametrize(
    ("now", "overrides", "expected"),
    [
        (NOW, {"expires": "2026-02-01T00:00:00Z"}, "expired on 2026-02-01"),
        (NOW, {"issuedOn": "2026-06-01T00:00:00Z"}, "issued in the future"),
        (NOW, {"issuedOn": "last tuesday"}, "is not an ISO 8601 date-time"),
        (NOW - timedelta(days=400), {}, "issued in the future"),
    ],
)
def test_validity_dates(
    publisher: Publisher, now: datetime, overrides: dict[str, Any], expected: str
) -> None:
    presented = publisher.host(publisher.assertion(**overrides))
    report = verify_badge(presented, ctx=publisher.context(now=now))
    assert statuses(report)["validity"] == "failed"
    assert expected in message(report, "validity")
    assert not report.verified


def test_an_unreachable_assertion_or_chain_fails_closed(publisher: Publisher) -> None:
    presented = publisher.assertion()  # not hosted anywhere
    report = verify_badge(presented, ctx=publisher.context())
    assert statuses(report)["proof"] == "failed"
    assert "could not be fetched" in message(report, "proof")

    hosted = publisher.host(publisher.assertion(2))
    del publisher.served[publisher.issuer_id]
    report = verify_badge(hosted, ctx=publisher.context())
    assert statuses(report)["issuer_key"] == "failed"
    assert "issuer Profile could not be fetched" in message(report, "issuer_key")
    assert not report.verified


def test_an_unreachable_revocation_list_is_indeterminate_not_a_pass(publisher: Publisher) -> None:
    """Regression (#8): fail closed, as for OB 3.0 status lists; offline mode says so."""
    presented = publisher.host(publisher.assertion())
    del publisher.served[publisher.list_id]
    report = verify_badge(presented, ctx=publisher.context())
    assert statuses(report)["status"] == "indeterminate"
    assert message(report, "status").startswith("could not check whether it is revoked")
    assert not report.verified
    offline = replace(publisher.context(), options=VerifyOptions(check_status=False))
    report = verify_badge(presented, ctx=offline)
    assert statuses(report)["status"] == "skipped" and "offline mode" in message(report, "status")
    assert report.verified, report.to_json()


def test_hosted_assertions_on_private_addresses_are_never_fetched(publisher: Publisher) -> None:
    presented = publisher.assertion(id="https://127.0.0.1/assertions/1")
    report = verify_badge(presented, ctx=publisher.context())
    assert statuses(report)["proof"] == "failed"
    assert "loopback" in message(report, "proof")
    assert publisher.requested == []


def test_a_url_presentation_of_a_hosted_assertion(publisher: Publisher) -> None:
    presented = publisher.host(publisher.assertion())
    report = verify_badge({"url": presented["id"]}, ctx=publisher.context(), recipient=EMAIL)
    assert report.verified, report.to_json()
    assert statuses(report)["recipient"] == "passed"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"verification": {"type": "SignedBadge"}}, "only its JSON was given"),
        ({"verification": {"type": "Blockchain"}}, "neither hosted nor signed"),
        ({"verification": None}, "without a verification object"),
        ({"recipient": None}, "lacks required properties: recipient"),
    ],
)
def test_malformed_assertions(publisher: Publisher, change: dict[str, Any], expected: str) -> None:
    report = verify_badge(publisher.host(publisher.assertion(**change)), ctx=publisher.context())
    assert expected in str(report.to_json())
    assert not report.verified


def test_verifiable_credentials_never_take_the_ob2_branch() -> None:
    from badge_issuer.ob2 import is_ob2_assertion

    vc = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/openbadges/v2"]}
    assert not is_ob2_assertion({**vc, "type": ["VerifiableCredential", "Assertion"]})
    assert not is_ob2_assertion({**vc, "type": "Assertion"})
    assert is_ob2_assertion({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"})
    assert is_ob2_assertion({"type": "Assertion"})
    assert is_ob2_assertion({"badge": "https://x.example/b", "recipient": {}, "verify": {"type": "hosted"}})
    assert not is_ob2_assertion({"badge": "https://x.example/b", "recipient": {}})


def test_ob2_fetches_spend_the_requests_fetch_budget(publisher: Publisher) -> None:
    from badge_issuer.net.fetch import fetch_budget

    presented = publisher.host(publisher.assertion())
    with fetch_budget(2):  # the assertion and the BadgeClass; not the issuer Profile
        report = verify_badge(presented, ctx=publisher.context())
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer_key"] == "failed"
    assert "used its 2 outbound fetches" in message(report, "issuer_key")
    assert not report.verified
    assert len(publisher.requested) == 2


def test_a_redirect_out_of_the_issuers_scope_does_not_host_an_assertion(publisher: Publisher) -> None:
    """Regression (#8): an open redirect on the issuer's origin does not let evil.example host badges."""
    forged_id = f"{publisher.origin}/go?to=https://evil.example/a/1"
    forged = publisher.assertion(id=forged_id)
    served = publisher.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/go":
            return httpx.Response(302, headers={"location": "https://evil.example/a/1"})
        if request.headers["host"] == "evil.example":
            return httpx.Response(200, json=forged, headers={"content-type": "application/ld+json"})
        return served(request)

    publisher.handler = handler  # type: ignore[method-assign]
    report = verify_badge(forged, ctx=publisher.context())
    assert not report.verified, report.to_json()
    assert statuses(report)["issuer_key"] == "failed"
    assert "evil.example" in message(report, "issuer_key")


def test_a_redirect_within_the_issuers_scope_is_followed(publisher: Publisher) -> None:
    moved = publisher.assertion(id=f"{publisher.origin}/old/1")
    publisher.served[f"{publisher.origin}/new/1"] = moved
    served = publisher.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old/1":
            return httpx.Response(301, headers={"location": "/new/1"})
        return served(request)

    publisher.handler = handler  # type: ignore[method-assign]
    report = verify_badge(moved, ctx=publisher.context())
    assert report.verified, report.to_json()
