"""VC Data Integrity's context-validation rule, for credentials that use unpinned contexts.

A context we do not pin can redefine what a familiar key means: alias another key onto
``schema:name``, or give ``issuer`` a different IRI. Then the JSON a person reads and the statements
that were signed diverge. The rule (VC-DI "Context Validation", the optional branch): remove every
unapproved context from a copy of ``@context``, compact the expanded document against what is left
(our pinned VC / OB contexts), and use that *conforming document*. We refuse the credential when the
conforming document says something else than the presented one for any field the report summary
shows or a later check reads (``meaning``): then what a person reads is not what was signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyld import jsonld

from badge_issuer.checks.base import as_list, short
from badge_issuer.errors import JsonLdError
from badge_issuer.jsonld.context_cache import SharedContextResolver, SharedProcessor
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.jsonld.safemode import RELATIVE_BASE

#: credential types later checks and pages act on (others are compared only through the fields below)
KNOWN_TYPES = frozenset(
    {
        "VerifiableCredential",
        "OpenBadgeCredential",
        "AchievementCredential",
        "EndorsementCredential",
        "ClrCredential",
        "BitstringStatusListCredential",
    }
)
_TOP_LEVEL = (
    "id",
    "name",
    "description",
    "image",
    "awardedDate",
    "validFrom",
    "validUntil",
    "issuanceDate",
    "expirationDate",
)
_ACHIEVEMENT = ("id", "name", "description", "image", "achievementType")
_IDENTITY = ("identityType", "hashed", "identityHash")
_STATUS = ("id", "type", "statusPurpose", "statusListIndex", "statusListCredential", "statusSize")


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


#: stands for a member the object does not have (equal to no JSON value)
ABSENT: Any = _Absent()


def pinned_contexts(credential: Mapping[str, Any], loader: DocumentLoader) -> list[str]:
    """The credential's top-level ``@context`` without the entries we do not pin."""
    return [
        entry
        for entry in as_list(credential.get("@context"))
        if isinstance(entry, str) and loader.knows(entry)
    ]


def conforming_document(expanded: Any, contexts: list[str], *, loader: DocumentLoader) -> Any:
    """The expanded document (all its contexts applied), compacted against ``contexts`` (pinned) only."""
    options = {
        "documentLoader": loader,
        "contextResolver": SharedContextResolver(loader.context_cache, loader),
        "base": RELATIVE_BASE,
        "processingMode": "json-ld-1.1",
        "skipExpansion": True,
    }
    try:
        return SharedProcessor().compact(expanded, {"@context": contexts}, options)
    except jsonld.JsonLdError as exc:
        raise JsonLdError(
            f"compacting against the pinned contexts failed: {str(exc).splitlines()[0]}"
        ) from None


def _plain(value: Any) -> Any:
    """``value`` with one-item arrays unwrapped, recursively (compaction may or may not wrap them)."""
    if isinstance(value, list):
        items = [_plain(item) for item in value]
        return items[0] if len(items) == 1 else items
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _pick(value: Any, keys: tuple[str, ...]) -> Any:
    """The ``keys`` of an object (absent ones as ABSENT); anything else as it is."""
    if isinstance(value, Mapping):
        return {key: _plain(value.get(key, ABSENT)) for key in keys}
    return _plain(value)


def meaning(credential: Any) -> dict[str, Any]:
    """What the report shows and later checks read, field by field (compared, never trusted)."""
    if not isinstance(credential, Mapping):
        return {"document": short(credential, 60)}
    subject = credential.get("credentialSubject", ABSENT)
    plain_subject = _plain(subject)
    achievement = plain_subject.get("achievement", ABSENT) if isinstance(plain_subject, Mapping) else ABSENT
    identifiers = plain_subject.get("identifier", ABSENT) if isinstance(plain_subject, Mapping) else ABSENT
    fields: dict[str, Any] = {name: _plain(credential.get(name, ABSENT)) for name in _TOP_LEVEL}
    fields.update(
        {
            "type": sorted(
                t for t in as_list(credential.get("type")) if isinstance(t, str) and t in KNOWN_TYPES
            ),
            "issuer": _pick(credential.get("issuer", ABSENT), ("id", "name")),
            "credentialSubject": _pick(subject, ("id",)),
            "credentialSubject.achievement": _pick(achievement, _ACHIEVEMENT),
            "credentialSubject.identifier": [_pick(item, _IDENTITY) for item in as_list(identifiers)],
            "credentialStatus": [
                _pick(item, _STATUS) for item in as_list(credential.get("credentialStatus"))
            ],
            "@graph": "@graph" in credential,
        }
    )
    return fields


def differences(presented: Mapping[str, Any], conforming: Any) -> list[str]:
    """The fields whose meaning under the pinned contexts differs from what the document shows."""
    shown, signed = meaning(presented), meaning(conforming)
    names = list(dict.fromkeys([*shown, *signed]))
    return [name for name in names if shown.get(name, ABSENT) != signed.get(name, ABSENT)]
