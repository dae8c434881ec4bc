"""Reading Open Badges 2.0 documents: what an Assertion is, how it asks to be verified, its dates.

OB 2.0 objects are JSON-LD in the ``https://w3id.org/openbadges/v2`` context, but verification
works on the JSON as published (as 1EdTech's reference validator does): no context is loaded. An
Assertion names its verification method in ``verification`` (alias ``verify``): ``HostedBadge``
(alias ``hosted``) or ``SignedBadge`` (alias ``signed``). Dates are ISO 8601 with a time zone
(integers, Unix timestamps, are the 1.x form and still read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from badge_issuer.checks.base import as_list, types_of

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
#: the 2.0 context at its other published addresses, and the 1.1 context (same verification rules)
OB_CONTEXTS = frozenset(
    {
        OB2_CONTEXT,
        "https://w3id.org/openbadges/v2/",
        "https://openbadgespec.org/v2/context.json",
        "https://w3id.org/openbadges/v1",
        "https://openbadgespec.org/v1/context.json",
    }
)
OB_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
HOSTED_TYPES = frozenset({"hosted", "HostedBadge"})
SIGNED_TYPES = frozenset({"signed", "SignedBadge"})
PROFILE_TYPES = frozenset({"Issuer", "Profile"})
Method = Literal["hosted", "signed"]
#: properties an Assertion must have (a revoked hosted Assertion may be cut down to id and revoked)
ASSERTION_REQUIRED = ("id", "recipient", "badge", "issuedOn")
BADGE_CLASS_REQUIRED = ("id", "name", "description", "image", "criteria", "issuer")


def is_ob2_assertion(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is an OB 2.0 (or 1.1) Assertion rather than a Verifiable Credential."""
    contexts = [c for c in as_list(document.get("@context")) if isinstance(c, str)]
    if "VerifiableCredential" in types_of(document) or any("/credentials/" in c for c in contexts):
        return False
    if any(c in OB_CONTEXTS for c in contexts):
        return True
    if "Assertion" in types_of(document):
        return True
    return "badge" in document and "recipient" in document and verification_of(document) is not None


def verification_of(assertion: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The assertion's VerificationObject (``verification``, or its alias ``verify``)."""
    value = assertion.get("verification", assertion.get("verify"))
    return value if isinstance(value, Mapping) else None


def method_of(assertion: Mapping[str, Any]) -> Method | None:
    """``hosted`` or ``signed`` by the VerificationObject type; None if it names neither."""
    verification = verification_of(assertion)
    if verification is None:
        return None
    kinds = set(types_of(verification))
    if kinds & HOSTED_TYPES and not kinds & SIGNED_TYPES:
        return "hosted"
    if kinds & SIGNED_TYPES and not kinds & HOSTED_TYPES:
        return "signed"
    return None


def node_id(value: Any) -> str | None:
    """The id of a node given as an IRI string or as an embedded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def parse_ob_datetime(value: Any) -> datetime | None:
    """An OB DateTime (ISO 8601 with time zone; 1.x Unix timestamps too) as an aware datetime."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**33:
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text.isdigit() and len(text) <= 11:
        return datetime.fromtimestamp(int(text), UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if "T" not in text:  # a bare date: the start of that day, UTC
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo else None


def missing(document: Mapping[str, Any], required: tuple[str, ...]) -> list[str]:
    """The ``required`` properties absent (or null) in ``document``."""
    return [name for name in required if document.get(name) in (None, "", [])]


def differing_keys(left: Mapping[str, Any], right: Mapping[str, Any], *, limit: int = 10) -> list[str]:
    """Top-level property names whose values differ between two JSON objects."""
    keys = sorted(set(left) | set(right))
    return [key for key in keys if left.get(key, _ABSENT) != right.get(key, _ABSENT)][:limit]


_ABSENT = object()
