"""Regression (#8): a Data Integrity proof past its ``expires`` (VC DI §2.1) does not verify.

The credential and the presentation are otherwise valid; only the proof's own expiry has passed.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest

from badge_issuer.checks import VerifyOptions
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.jsonld.loader import VC_V2
from badge_issuer.verification import verify_badge
from tests.badges import CANON, NOW, SIGNED_AT, Issuer, badge, context


def _signed(document: dict[str, Any], signer: Issuer, **options: Any) -> dict[str, Any]:
    return add_proof(
        copy.deepcopy(document),
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=signer.signer,
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT, **options),
    )


def _proof(report: Any, check_id: str) -> Any:
    return next(check for check in report.checks if check.id == check_id)


@pytest.mark.parametrize(
    ("expires", "verified"), [(NOW - timedelta(days=1), False), (NOW + timedelta(days=1), True)]
)
def test_a_credential_proof_past_its_expiry_does_not_verify(expires: datetime, verified: bool) -> None:
    issuer = Issuer()
    signed = _signed(badge(issuer), issuer, expires=expires)
    assert signed["proof"]["expires"]
    report = verify_badge(signed, ctx=context())
    assert report.verified is verified, report.to_json()
    if not verified:
        assert _proof(report, "proof").status == "failed"
        assert "the proof expired at" in _proof(report, "proof").message


def test_a_presentation_proof_past_its_expiry_does_not_authenticate() -> None:
    issuer, holder = Issuer(), Issuer()
    credential = _signed(badge(issuer), issuer)
    presentation = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": [credential],
    }
    signed = _signed(
        presentation,
        holder,
        proof_purpose="authentication",
        challenge="n-1",
        expires=NOW - timedelta(hours=1),
    )
    ctx = context()
    from dataclasses import replace

    report = verify_badge(signed, ctx=replace(ctx, options=VerifyOptions(challenge="n-1")))
    assert not report.verified, report.to_json()
    assert _proof(report, "presentation_proof").status == "failed"
    assert "the proof expired at" in _proof(report, "presentation_proof").message


def test_a_malformed_expiry_does_not_verify() -> None:
    issuer = Issuer()
    signed = _signed(badge(issuer), issuer)
    signed["proof"]["expires"] = "next tuesday"
    report = verify_badge(signed, ctx=context())
    assert not report.verified
    assert "proof.expires is not an XML Schema dateTime" in _proof(report, "proof").message
