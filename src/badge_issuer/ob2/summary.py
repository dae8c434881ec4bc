"""The human summary of an OB 2.0 badge, in the shape of the OB 3.0 report's summary.

Names and descriptions come from the documents the issuer publishes (the fetched BadgeClass and
Profile) when they could be had, else from the assertion as presented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from badge_issuer.checks.summary import MAX_TEXT
from badge_issuer.ob2.chain import Chain
from badge_issuer.ob2.documents import node_id


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _image(value: Any) -> str | None:
    value = node_id(value)
    return _text(value) if value is not None and value.startswith(("https://", "http://")) else None


def _recipient(assertion: Mapping[str, Any]) -> str | None:
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping):
        return None
    kind = _text(recipient.get("type")) or "identity"
    if recipient.get("hashed") is False and isinstance(recipient.get("identity"), str):
        return f"{kind}: {_text(recipient['identity'])}"
    return f"{kind} (hashed; the value is not shown)"


def summarize_ob2(assertion: Mapping[str, Any], chain: Chain | None, method: str | None) -> dict[str, Any]:
    """``format``, ``issuer``, ``achievement``, ``description``, ``image``, ``recipient``, dates."""
    badge = chain.badge if chain is not None else assertion.get("badge")
    badge = badge if isinstance(badge, Mapping) else {}
    issuer = chain.issuer if chain is not None else badge.get("issuer")
    issuer = issuer if isinstance(issuer, Mapping) else {}
    return {
        "format": "Open Badges 2.0" + (f" ({method})" if method else ""),
        "issuer": {
            "id": _text(node_id(issuer) or node_id(badge.get("issuer"))),
            "name": _text(issuer.get("name")),
        },
        "name": _text(badge.get("name")),
        "achievement": _text(badge.get("name")),
        "description": _text(badge.get("description")),
        "image": _image(assertion.get("image")) or _image(badge.get("image")),
        "recipient": _recipient(assertion),
        "issued": _text(assertion.get("issuedOn")),
        "expires": _text(assertion.get("expires")),
    }
