"""The documents behind an OB 2.0 Assertion: its BadgeClass, the issuer Profile, keys, revocation list.

Everything is fetched through the context's ``DocumentSource`` (the guarded fetcher in production,
with its per-request budget). A document must be a JSON object whose ``id`` is the URL it was
fetched from and whose ``type`` is what was asked for. The issuer Profile is always fetched from its
HTTP(S) ``id``, even when the BadgeClass embeds a copy: its verification rules, keys and revocation
list must come from the issuer, not from the badge being judged. A BadgeClass is fetched when its id
is HTTP(S); an embedded one with another id (``urn:uuid``) is used as given (signed badges may do so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from badge_issuer.checks.base import DocumentSource, short, types_of
from badge_issuer.errors import BadgeIssuerError, ResolutionError
from badge_issuer.ob2.documents import (
    BADGE_CLASS_REQUIRED,
    OB_ACCEPT,
    PROFILE_TYPES,
    http_url,
    missing,
    node_id,
)


class ChainError(ResolutionError):
    """A linked document is missing, unreachable or not what the Assertion says it is."""


@dataclass(frozen=True)
class Chain:
    """The BadgeClass and issuer Profile of one Assertion, as their publishers serve them."""

    badge: Mapping[str, Any]
    issuer: Mapping[str, Any]
    #: True when the BadgeClass was fetched from its id (False: embedded with a non-HTTP id)
    badge_fetched: bool

    @property
    def issuer_id(self) -> str:
        value = self.issuer["id"]
        assert isinstance(value, str)
        return value


def fetch_node(documents: DocumentSource, url: str, kinds: frozenset[str], what: str) -> Mapping[str, Any]:
    """The JSON object at ``url``; its id must be ``url`` and its type one of ``kinds``."""
    try:
        document = documents.get_json(url, accept=OB_ACCEPT)
    except BadgeIssuerError as exc:
        raise ChainError(f"the {what} could not be fetched: {exc.message}") from None
    if not isinstance(document, Mapping):
        raise ChainError(f"the {what} at {short(url)} is not a JSON object")
    if document.get("id") != url:
        raise ChainError(f"the {what} at {short(url)} has another id ({short(document.get('id'))})")
    if not set(types_of(document)) & kinds:
        raise ChainError(
            f"the {what} at {short(url)} has type {short(types_of(document))}, "
            f"not {' or '.join(sorted(kinds))}"
        )
    return document


def load_chain(assertion: Mapping[str, Any], documents: DocumentSource) -> Chain:
    """Fetch (or take embedded, see the module text) the BadgeClass, then fetch the issuer Profile."""
    badge_value = assertion.get("badge")
    badge_id = node_id(badge_value)
    if badge_id is None:
        raise ChainError("the assertion names no BadgeClass (badge)")
    if http_url(badge_id):
        badge = fetch_node(documents, badge_id, frozenset({"BadgeClass"}), "BadgeClass")
        fetched = True
    elif isinstance(badge_value, Mapping):
        badge, fetched = badge_value, False
    else:
        raise ChainError(f"the BadgeClass {short(badge_id)} is neither an HTTP(S) URL nor embedded")
    absent = missing(badge, BADGE_CLASS_REQUIRED)
    if absent:
        raise ChainError(f"the BadgeClass lacks required properties: {', '.join(absent)}")
    issuer_id = node_id(badge.get("issuer"))
    issuer_url = http_url(issuer_id)
    if issuer_url is None:
        raise ChainError(
            f"the issuer {short(issuer_id)} is not an HTTP(S) URL, so its Profile cannot be checked"
        )
    issuer = fetch_node(documents, issuer_url, PROFILE_TYPES, "issuer Profile")
    return Chain(badge=badge, issuer=issuer, badge_fetched=fetched)


def public_key_ids(issuer: Mapping[str, Any], *, limit: int = 5) -> list[str]:
    """The ids of the keys the issuer Profile declares in ``publicKey`` (at most ``limit``)."""
    values = issuer.get("publicKey")
    values = values if isinstance(values, list) else [values]
    ids = [key for key in (node_id(value) for value in values) if key is not None]
    return list(dict.fromkeys(ids))[:limit]


def embedded_key(issuer: Mapping[str, Any], key_id: str) -> Mapping[str, Any] | None:
    """A CryptographicKey the (fetched) Profile embeds with ``id`` = ``key_id`` and a PEM, if any."""
    values = issuer.get("publicKey")
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, Mapping) and value.get("id") == key_id and "publicKeyPem" in value:
            return value
    return None


def revocation_list(documents: DocumentSource, url: str) -> Mapping[str, Any]:
    """The RevocationList at ``url`` (ChainError if unreachable or not a RevocationList)."""
    return fetch_node(documents, url, frozenset({"RevocationList"}), "revocation list")


def revoked_entry(revocations: Mapping[str, Any], assertion: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``revokedAssertions`` entry for ``assertion`` (by ``id``, or legacy ``uid``), if any."""
    assertion_id, uid = assertion.get("id"), assertion.get("uid")
    entries = revocations.get("revokedAssertions")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str) and entry == assertion_id:
            return {"id": entry}
        if not isinstance(entry, Mapping) or entry.get("revoked") is False:
            continue
        if entry.get("id") == assertion_id and assertion_id is not None:
            return entry
        if uid is not None and entry.get("uid") == uid:
            return entry
    return None
