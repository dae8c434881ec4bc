"""``recipient``: does the badge belong to the email address the verifier was given?

Run only when the caller gives an address (``recipient`` on the verify request). The badge's email
identities (OB 3.0 ``credentialSubject.identifier`` objects; the OB 2.0 ``recipient``) are compared
with ``credential.identity.matches``: salted ``sha256$``/``md5$`` hashes, or plain text, with the
address tried as given and lower-cased. The address itself never appears in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from badge_issuer.checks.base import FAILED, PASSED, SKIPPED, CheckResult, as_list
from badge_issuer.credential.identity import EMAIL_ADDRESS, matches

ID = "recipient"
MAX_EMAIL_CHARS = 320
MAX_IDENTITIES = 20


def ob3_identities(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The IdentityObjects of an OB 3.0 credential's subject."""
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    return [item for item in as_list(subject.get("identifier")) if isinstance(item, Mapping)]


def ob2_identities(assertion: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The OB 2.0 ``recipient`` IdentityObject, in the OB 3.0 shape ``matches`` reads."""
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping):
        return []
    kind = recipient.get("type")
    return [
        {
            "identityType": EMAIL_ADDRESS if kind == "email" else kind,
            "identityHash": recipient.get("identity"),
            "hashed": recipient.get("hashed"),
            "salt": recipient.get("salt"),
        }
    ]


def recipient_result(identities: Sequence[Mapping[str, Any]], email: str | None) -> CheckResult:
    """The ``recipient`` check for ``email`` against the badge's ``identities``."""
    if email is None:
        return CheckResult(ID, SKIPPED, "no email address was given to compare with the recipient")
    email = email.strip()
    if not email or len(email) > MAX_EMAIL_CHARS or "@" not in email:
        return CheckResult(ID, FAILED, "the email address given to compare with is not an email address")
    emails = [i for i in identities[:MAX_IDENTITIES] if i.get("identityType") == EMAIL_ADDRESS]
    if not emails:
        kinds = sorted({str(i.get("identityType")) for i in identities}) or ["nothing"]
        return CheckResult(
            ID, FAILED, f"the badge identifies its recipient by {', '.join(kinds)}, not by an email address"
        )
    hashed = any(i.get("hashed") is True for i in emails)
    found = False
    for identity in emails:  # every identity is tried: the same work whichever matches
        found |= matches(identity, email, EMAIL_ADDRESS)
    how = "a salted hash of it" if hashed else "it in plain text"
    if found:
        return CheckResult(ID, PASSED, f"the given email address is the recipient (the badge holds {how})")
    return CheckResult(ID, FAILED, "the given email address is not the recipient of this badge")
