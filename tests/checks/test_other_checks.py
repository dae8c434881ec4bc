"""format, context, schema, validity, status and endorsements: each passing and failing."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from badge_issuer.checks import Envelope, Subject, VerifyContext
from badge_issuer.checks.context import context_check
from badge_issuer.checks.endorsements import endorsements_check
from badge_issuer.checks.format import format_check
from badge_issuer.checks.schema import schema_check
from badge_issuer.checks.status import status_check
from badge_issuer.checks.summary import summarize
from badge_issuer.checks.validity import validity_check
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.jsonld.loader import VC_V2
from tests.badges import NOW, STATUS_URL, Documents, Issuer, badge, context, status_entry, status_list


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def subject(credential: Any) -> Subject:
    return Subject(credential, Envelope("json"))


# -- format ------------------------------------------------------------------------------------------


def test_format(issuer: Issuer) -> None:
    ctx = context()
    assert format_check(subject(badge(issuer)), ctx).status == "passed"
    not_vc = badge(issuer, type=["OpenBadgeCredential"], **{"@context": ["https://example.org/ctx"]})
    result = format_check(subject(not_vc), ctx)
    assert result.status == "failed"
    assert "VerifiableCredential" in result.message and "@context[0]" in result.message
    plain_vc = badge(issuer, type=["VerifiableCredential", "AlumniCredential"])
    generic = format_check(subject(plain_vc), ctx)
    assert generic.status == "passed" and generic.detail["profile"] == "vcdm"
    assert "not an Open Badge: judged by the VC Data Model 2.0 rules" in generic.message
    assert format_check_fatal()


def format_check_fatal() -> bool:
    return format_check.fatal and context_check.fatal


# -- context -----------------------------------------------------------------------------------------


def test_context(issuer: Issuer) -> None:
    ctx = context()
    assert context_check(subject(badge(issuer)), ctx).status == "passed"
    unknown = badge(issuer)
    unknown["@context"] = [*unknown["@context"], "https://evil.example/context.json"]
    result = context_check(subject(unknown), ctx)
    assert result.status == "failed" and "never fetched" in result.message
    inline = badge(issuer)
    inline["@context"] = [*inline["@context"], {"grade": "https://example.org/grade"}]
    assert "embedded context" in context_check(subject(inline), ctx).message


# -- schema ------------------------------------------------------------------------------------------


def test_schema(issuer: Issuer) -> None:
    ctx = context()
    assert schema_check(subject(badge(issuer)), ctx).status == "passed"
    no_recipient = badge(issuer)
    del no_recipient["credentialSubject"]["identifier"]
    result = schema_check(subject(no_recipient), ctx)
    assert result.status == "failed"
    assert "either id or at least one identifier" in result.message
    no_name = badge(issuer)
    del no_name["credentialSubject"]["achievement"]["criteria"]
    assert "criteria" in schema_check(subject(no_name), ctx).message
    unknown_schema = badge(
        issuer,
        credentialSchema=[{"id": "https://x.example/s.json", "type": "1EdTechJsonSchemaValidator2019"}],
    )
    assert schema_check(subject(unknown_schema), ctx).status == "warning"


# -- validity ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "text"),
    [
        ({}, "passed", "with no expiry"),
        ({"validUntil": "2026-12-31T00:00:00Z"}, "passed", "until 2026-12-31"),
        (
            {"validFrom": "2025-01-01T00:00:00Z", "validUntil": "2025-06-30T00:00:00Z"},
            "failed",
            "expired on 2025-06-30",
        ),
        ({"validFrom": "2026-04-01T00:00:00Z"}, "failed", "not yet valid"),
        ({"validFrom": "2026-03-01T12:04:00Z"}, "passed", "valid since"),  # inside the 5 min skew
        ({"validUntil": "2026-03-01T11:56:00Z"}, "passed", "until"),  # inside the skew
        ({"validFrom": "yesterday"}, "failed", "not a date-time"),
        ({"validUntil": "2026-01-01T00:00:00Z"}, "failed", "period is empty"),
    ],
)
def test_validity(issuer: Issuer, fields: dict[str, str], status: str, text: str) -> None:
    result = validity_check(subject(badge(issuer, **fields)), context())
    assert result.status == status
    assert text in result.message


def test_validity_skew_is_configurable(issuer: Issuer) -> None:
    early = badge(issuer, validFrom="2026-03-01T12:04:00Z")
    assert validity_check(subject(early), context(skew=timedelta(0))).status == "failed"


# -- status ------------------------------------------------------------------------------------------


def _status_ctx(issuer: Issuer, **lists: Any) -> VerifyContext:
    return context(documents=Documents(lists or {STATUS_URL: status_list(issuer, set_bits=(4,))}))


def test_status_not_revoked_and_revoked(issuer: Issuer) -> None:
    ctx = _status_ctx(issuer)
    ok = status_check(subject(badge(issuer, credentialStatus=status_entry(3))), ctx)
    assert ok.status == "passed" and "not revoked" in ok.message
    revoked = status_check(subject(badge(issuer, credentialStatus=status_entry(4))), ctx)
    assert revoked.status == "failed" and "revoked" in revoked.message


def test_status_suspension_and_absent(issuer: Issuer) -> None:
    ctx = context(documents=Documents({STATUS_URL: status_list(issuer, set_bits=(4,), purpose="suspension")}))
    entry = status_entry(4, purpose="suspension")
    assert "suspended" in status_check(subject(badge(issuer, credentialStatus=entry)), ctx).message
    assert status_check(subject(badge(issuer)), ctx).status == "skipped"


def test_status_list_of_another_issuer_or_unsigned_is_refused(issuer: Issuer) -> None:
    other = Issuer()
    ctx = context(documents=Documents({STATUS_URL: status_list(other)}))
    result = status_check(subject(badge(issuer, credentialStatus=status_entry(1))), ctx)
    assert result.status == "failed" and "not by the credential's issuer" in result.message
    unsigned = {k: v for k, v in status_list(issuer).items() if k != "proof"}
    ctx = context(documents=Documents({STATUS_URL: unsigned}))
    result = status_check(subject(badge(issuer, credentialStatus=status_entry(1))), ctx)
    assert result.status == "failed" and "STATUS_VERIFICATION_ERROR" in result.message
    tampered = copy.deepcopy(status_list(issuer, set_bits=(1,)))
    tampered["credentialSubject"]["encodedList"] = status_list(issuer)["credentialSubject"]["encodedList"]
    ctx = context(documents=Documents({STATUS_URL: tampered}))
    assert status_check(subject(badge(issuer, credentialStatus=status_entry(1))), ctx).status == "failed"


def test_a_status_list_with_a_second_proof_that_fails_is_refused(issuer: Issuer) -> None:
    """Regression (#8): one valid proof on the list used to suffice beside a forged one."""
    listing = status_list(issuer)
    garbage = dict(listing["proof"], proofValue="z" + "1" * 80)
    ctx = context(documents=Documents({STATUS_URL: {**listing, "proof": [listing["proof"], garbage]}}))
    result = status_check(subject(badge(issuer, credentialStatus=status_entry(1))), ctx)
    assert result.status == "failed" and "STATUS_VERIFICATION_ERROR" in result.message


def test_status_malformed_entries(issuer: Issuer) -> None:
    ctx = _status_ctx(issuer)
    bad_index = dict(status_entry(1), statusListIndex="0x10")
    assert (
        "MALFORMED_VALUE_ERROR"
        in status_check(subject(badge(issuer, credentialStatus=bad_index)), ctx).message
    )
    out_of_range = status_entry(10_000_000)
    assert "RANGE_ERROR" in status_check(subject(badge(issuer, credentialStatus=out_of_range)), ctx).message
    unknown = {"id": "https://x.example/s", "type": "StatusList2021Entry"}
    assert status_check(subject(badge(issuer, credentialStatus=unknown)), ctx).status == "indeterminate"


def test_status_of_an_informational_purpose_that_cannot_be_fetched_only_warns(issuer: Issuer) -> None:
    entry = status_entry(1, purpose="message")
    result = status_check(subject(badge(issuer, credentialStatus=entry)), context())
    assert result.status == "warning" and "message status unknown" in result.message
    too_many = [status_entry(n) for n in (0, 1, 2, 3, 5, 6)]  # bit 4 is set
    result = status_check(subject(badge(issuer, credentialStatus=too_many)), _status_ctx(issuer))
    assert result.status == "indeterminate" and "only the first 5 of 6" in result.message


LIST_URL = "https://x.example/revocations"


def _revocation_list(owner: Issuer, *revoked: str, signer: Issuer | None = None) -> dict[str, Any]:
    """A 1EdTech revocation list naming ``owner``, signed (eddsa-jcs-2022) by ``signer`` or ``owner``."""
    listing = {
        "@context": [VC_V2],
        "id": LIST_URL,
        "type": ["VerifiableCredential"],
        "issuer": owner.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": LIST_URL},
        "revokedCredentials": [{"id": item, "revocationReason": "issued in error"} for item in revoked],
    }
    return (signer or owner).sign(listing, "eddsa-jcs-2022")


def _revocable(signer: Issuer, issued_by: str | None = None) -> dict[str, Any]:
    """A badge with a 1EdTechRevocationList entry (its issuer id replaced by ``issued_by``)."""
    entry = {"id": LIST_URL, "type": "1EdTechRevocationList"}
    if issued_by is None:
        return badge(signer, credentialStatus=entry)
    credential = badge(signer, credentialStatus=entry)
    credential["issuer"] = {"id": issued_by, "type": ["Profile"]}  # only the status check reads it here
    return credential


def _list_status(credential: dict[str, Any], listing: Any, url: str = LIST_URL) -> tuple[str, str]:
    result = status_check(subject(credential), context(documents=Documents({url: listing})))
    return result.status, result.message


def test_1edtech_revocation_list_signed_by_the_issuer(issuer: Issuer) -> None:
    credential = _revocable(issuer)
    status, message = _list_status(credential, _revocation_list(issuer, credential["id"]))
    assert status == "failed" and "revoked" in message and "issued in error" in message
    assert _list_status(credential, _revocation_list(issuer)) == (
        "passed",
        "not revoked (1EdTech revocation list)",
    )


def test_1edtech_revocation_list_of_another_issuer_or_key_is_refused(issuer: Issuer) -> None:
    credential, other = _revocable(issuer), Issuer("Someone Else")
    status, message = _list_status(credential, _revocation_list(other))
    assert status == "failed" and "not by the credential's issuer" in message
    status, message = _list_status(credential, _revocation_list(issuer, signer=other))
    assert status == "failed" and "proof does not verify" in message
    tampered = _revocation_list(issuer, credential["id"])
    tampered["revokedCredentials"] = []  # the issuer revoked it; someone emptied the list
    status, message = _list_status(credential, tampered)
    assert status == "failed" and "proof does not verify" in message
    anonymous = {k: v for k, v in _revocation_list(issuer).items() if k != "issuer"}
    status, message = _list_status(credential, anonymous)
    assert status == "failed" and "names no issuer" in message


def test_unsigned_1edtech_revocation_list_counts_only_on_the_issuers_origin(issuer: Issuer) -> None:
    listed = {"revokedCredentials": [{"id": "urn:uuid:x", "revocationReason": "issued in error"}]}
    # a did:key issuer has no origin: an unsigned list cannot be attributed to it (fail closed)
    status, message = _list_status(_revocable(issuer), listed)
    assert status == "indeterminate" and "cannot be attributed" in message
    web = _revocable(issuer, "https://x.example/issuers/1")
    assert _list_status(web, listed)[0] == "passed"
    listed["revokedCredentials"].append({"id": web["id"], "revocationReason": "issued in error"})
    status, message = _list_status(web, listed)
    assert status == "failed" and "issued in error" in message
    did_web = _revocable(issuer, "did:web:x.example:issuers:1")
    assert _list_status(did_web, listed)[0] == "failed"
    elsewhere = _revocable(issuer, "https://y.example/issuers/1")
    status, message = _list_status(elsewhere, {"revokedCredentials": []})
    assert status == "indeterminate" and "not served from the issuer's own origin" in message
    named = {"issuer": "https://y.example/issuers/1", "revokedCredentials": []}  # a claim, not a proof
    assert _list_status(elsewhere, named)[0] == "indeterminate"


# -- endorsements ------------------------------------------------------------------------------------


def _endorsement(endorser: Issuer, about: str) -> dict[str, Any]:
    return {
        "@context": badge(endorser)["@context"],
        "id": "urn:uuid:4f3c2b1a-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement of the data analysis badge",
        "issuer": {"id": endorser.did, "type": ["Profile"], "name": "Data Guild"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": about, "type": ["EndorsementSubject"], "endorsementComment": "Rigorous."},
    }


def test_endorsements(issuer: Issuer) -> None:
    endorser = Issuer("Data Guild")
    about = "https://badges.example.edu/achievements/data-analysis"
    good = endorser.sign(_endorsement(endorser, about))
    credential = badge(issuer)
    credential["credentialSubject"]["achievement"]["endorsement"] = [good]
    result = endorsements_check(subject(credential), context())
    assert result.status == "passed", result.message
    forged = copy.deepcopy(good)
    forged["credentialSubject"]["endorsementComment"] = "Outstanding!"
    credential["credentialSubject"]["achievement"]["endorsement"] = [good, forged]
    result = endorsements_check(subject(credential), context())
    assert result.status == "failed"
    assert "/credentialSubject/achievement/endorsement/1" in result.message
    expired = endorser.sign(dict(_endorsement(endorser, about), validUntil="2026-02-01T00:00:00Z"))
    credential["credentialSubject"]["achievement"]["endorsement"] = [expired]
    assert endorsements_check(subject(credential), context()).status == "warning"
    token = encode_vc_jwt(
        _endorsement(endorser, about), private_key=endorser.key, kid=endorser.signer.verification_method
    )
    credential["credentialSubject"]["achievement"]["endorsement"] = []
    credential["endorsementJwt"] = [token]
    assert endorsements_check(subject(credential), context()).status == "passed"


def test_endorsements_are_depth_limited(issuer: Issuer) -> None:
    credential = badge(issuer, endorsement=[{"not": "checked"}])
    deep = Subject(credential, Envelope("json"), depth=2)
    assert endorsements_check(deep, context()).status == "skipped"
    assert NOW.year == 2026 and VC_V2


def test_more_endorsements_than_are_verified_leave_the_check_indeterminate(issuer: Issuer) -> None:
    endorser = Issuer("Data Guild")
    good = endorser.sign(_endorsement(endorser, "https://badges.example.edu/achievements/data-analysis"))
    credential = badge(issuer)
    credential["credentialSubject"]["achievement"]["endorsement"] = [good] * 3
    narrow = dataclasses.replace(context(), max_endorsements=2)
    assert endorsements_check(
        subject(credential), dataclasses.replace(context(), max_endorsements=3)
    ).status == ("passed")
    result = endorsements_check(subject(credential), narrow)
    assert result.status == "indeterminate"  # the third would be shown, yet was never verified
    assert "only the first 2 of 3" in result.message
    forged = copy.deepcopy(good)
    forged["credentialSubject"]["endorsementComment"] = "Outstanding!"
    credential["credentialSubject"]["achievement"]["endorsement"] = [forged, good, good]
    assert endorsements_check(subject(credential), narrow).status == "failed"  # forgery outranks


# -- summary -----------------------------------------------------------------------------------------


def test_the_summary_shows_the_period_fields_the_validity_check_reads(issuer: Issuer) -> None:
    v2 = badge(issuer, validUntil="2027-01-01T00:00:00Z", expirationDate="2026-01-02T00:00:00Z")
    assert summarize(v2)["expires"] == "2027-01-01T00:00:00Z"
    stray = badge(issuer, expirationDate="2026-01-02T00:00:00Z")  # not a VC 2.0 term: never read
    assert summarize(stray)["expires"] is None
    v11 = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2025-01-01T00:00:00Z",
        "validFrom": "2024-01-01T00:00:00Z",
        "expirationDate": "2027-01-01T00:00:00Z",
        "validUntil": "2030-01-01T00:00:00Z",
    }
    assert summarize(v11)["issued"] == "2025-01-01T00:00:00Z"
    assert summarize(v11)["expires"] == "2027-01-01T00:00:00Z"
