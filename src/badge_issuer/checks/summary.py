"""The human summary of a credential for a verification report: who, what, to whom, when.

Only plain strings are copied out (cut to a sane length), so hostile values cannot bloat a report.
The recipient is shown as the credential shows it: a subject ``id``, or an identifier in plain
text when ``hashed`` is false. A hashed identifier is reported as hashed, never passed off as the
address it stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from badge_issuer.checks.base import as_list, issuer_id
from badge_issuer.checks.format import vc_version

MAX_TEXT = 500


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _image(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    # a data: URI image can be large; the report links to http(s) images only
    return _text(value) if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def recipient(subject: Mapping[str, Any]) -> str | None:
    """The recipient as the credential shows it."""
    if isinstance(subject.get("id"), str):
        return _text(subject["id"])
    shown: list[str] = []
    for identity in as_list(subject.get("identifier"))[:5]:
        if not isinstance(identity, Mapping):
            continue
        kind = _text(identity.get("identityType")) or "identifier"
        if identity.get("hashed") is False and isinstance(identity.get("identityHash"), str):
            shown.append(f"{kind}: {_text(identity['identityHash'])}")
        else:
            shown.append(f"{kind} (hashed; the value is not shown)")
    return "; ".join(shown) or None


def summarize(credential: Mapping[str, Any]) -> dict[str, Any]:
    """``issuer``, ``achievement``, ``description``, ``image``, ``recipient``, ``issued``, ``expires``."""
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    # the period fields the validity check reads for this VC version, so the summary never shows a
    # date (say a 2.0 credential's stray expirationDate) that the verdict did not take into account
    start, end = (
        ("issuanceDate", "expirationDate") if vc_version(credential) == "1.1" else ("validFrom", "validUntil")
    )
    return {
        "issuer": {
            "id": _text(issuer_id(credential)),
            "name": _text(issuer.get("name")) if isinstance(issuer, Mapping) else None,
        },
        "name": _text(credential.get("name")),
        "achievement": _text(achievement.get("name")) or _text(credential.get("name")),
        "description": _text(achievement.get("description")) or _text(credential.get("description")),
        "image": _image(achievement.get("image")) or _image(credential.get("image")),
        "recipient": recipient(subject),
        "issued": _text(credential.get("awardedDate")) or _text(credential.get(start)),
        "expires": _text(credential.get(end)),
    }
