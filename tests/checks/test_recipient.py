"""The ``recipient`` check: a given email address against OB 3.0 identifiers and the OB 2.0 recipient."""

from __future__ import annotations

import hashlib

import pytest

from badge_issuer.checks.recipient import ob2_identities, ob3_identities, recipient_result
from badge_issuer.verification import verify_badge
from tests.badges import Issuer, badge, context


def ob2_recipient(
    identity: str, *, hashed: bool = True, salt: str | None = "s", kind: str = "email"
) -> dict[str, object]:
    recipient: dict[str, object] = {"type": kind, "hashed": hashed, "identity": identity}
    if salt is not None:
        recipient["salt"] = salt
    return {"recipient": recipient}


def sha256(text: str) -> str:
    return "sha256$" + hashlib.sha256(text.encode()).hexdigest()


def md5(text: str) -> str:
    return "md5$" + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


@pytest.mark.parametrize(
    ("assertion", "email", "status"),
    [
        (ob2_recipient(sha256("ada@example.org" + "s")), "ada@example.org", "passed"),
        (ob2_recipient(sha256("ada@example.org" + "s")), " Ada@Example.org ", "passed"),
        (ob2_recipient(md5("ada@example.org"), salt=None), "ada@example.org", "passed"),
        (ob2_recipient("ada@example.org", hashed=False), "ADA@example.org", "passed"),
        (ob2_recipient(sha256("ada@example.org" + "s")), "eve@example.org", "failed"),
        (ob2_recipient(sha256("ada@example.org")), "ada@example.org", "failed"),  # the salt counts
        (ob2_recipient("sha256$zz", salt=None), "ada@example.org", "failed"),
        (ob2_recipient("https://ada.example", hashed=False, kind="url"), "ada@example.org", "failed"),
        ({}, "ada@example.org", "failed"),
        (ob2_recipient(sha256("ada@example.org" + "s")), "not an address", "failed"),
        (ob2_recipient(sha256("ada@example.org" + "s")), None, "skipped"),
    ],
)
def test_ob2_recipient(assertion: dict[str, object], email: str | None, status: str) -> None:
    assert recipient_result(ob2_identities(assertion), email).status == status


def test_ob3_credentials_get_the_recipient_check_when_an_email_is_given() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))  # identityHash of "a@example.com", salt "Kosher" (the spec's)
    assert len(ob3_identities(signed)) == 1
    report = verify_badge(signed, ctx=context(), recipient="A@example.com")
    assert report.verified and report.checks[-1].id == "recipient"
    assert report.checks[-1].status == "passed"
    report = verify_badge(signed, ctx=context(), recipient="mallory@example.org")
    assert not report.verified
    assert report.checks[-1].id == "recipient" and report.checks[-1].status == "failed"
    assert "recipient" not in {check.id for check in verify_badge(signed, ctx=context()).checks}
