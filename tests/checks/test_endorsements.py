"""The endorsements check gets its nested verifier from the context, never by importing the spine."""

from __future__ import annotations

import dataclasses
from typing import Any

from badge_issuer.checks import Envelope, Subject
from badge_issuer.checks.endorsements import endorsements_check
from badge_issuer.verification import verify_credential
from tests.badges import Issuer, badge, context


def endorsed(issuer: Issuer, comment: str = "Rigorous.") -> dict[str, Any]:
    endorser = Issuer("Data Guild")
    endorsement = endorser.sign(
        {
            "@context": badge(endorser)["@context"],
            "id": "urn:uuid:4f3c2b1a-0000-4000-8000-000000000002",
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": "Endorsement",
            "issuer": {"id": endorser.did, "type": ["Profile"], "name": "Data Guild"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {
                "id": "https://badges.example.edu/achievements/data-analysis",
                "type": ["EndorsementSubject"],
                "endorsementComment": comment,
            },
        }
    )
    credential = badge(issuer)
    credential["credentialSubject"]["achievement"]["endorsement"] = [endorsement]
    return credential


def test_without_a_nested_verifier_the_check_fails_closed() -> None:
    ctx = dataclasses.replace(context(), verify_nested=None)
    result = endorsements_check(Subject(endorsed(Issuer()), Envelope("json")), ctx)
    assert result.status == "failed"
    assert "no verifier" in result.message


def test_the_spine_hands_itself_down_to_verify_endorsements() -> None:
    issuer = Issuer()
    ctx = dataclasses.replace(context(), verify_nested=None)
    credential = issuer.sign(endorsed(issuer))
    report = verify_credential(credential, Envelope("json"), ctx)
    endorsements = next(check for check in report.checks if check.id == "endorsements")
    assert endorsements.status == "passed", endorsements
    assert report.verified
