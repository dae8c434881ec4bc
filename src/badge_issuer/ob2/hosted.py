"""HostedBadge verification (OB 2.0 §"HostedBadge Verification").

The Assertion's HTTP(S) ``id`` is the source of truth: it is fetched, and the copy found there is the
Assertion (a presented copy only says where to look, and must agree with it). ``410 Gone``, or a copy
with ``revoked: true``, means revoked. The ``id`` must lie in the scope the issuer Profile declares in
its ``verification`` object (``allowedOrigins`` host names and/or ``startsWith`` prefixes); with no
such object, the Assertion and its BadgeClass must be on the issuer ``id``'s origin. A redirect is
followed, but the URL the copy is finally served from must lie in that scope as well (else an open
redirect on the issuer's site would let anyone host assertions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from badge_issuer.checks.base import DocumentSource, as_list, short
from badge_issuer.errors import BadgeIssuerError, HttpStatusError
from badge_issuer.formats.bounded_json import loads_bounded
from badge_issuer.net.fetch import origin_of
from badge_issuer.ob2.chain import Chain, ChainError
from badge_issuer.ob2.documents import OB_ACCEPT, host_of, http_url


@dataclass(frozen=True)
class Hosted:
    """What the issuer's server says about an Assertion id."""

    url: str
    #: the hosted Assertion (None when the server answered 410 Gone without a usable body)
    assertion: Mapping[str, Any] | None
    revoked: bool
    reason: str | None = None
    #: where the copy was actually served from, after redirects (must be in the issuer's scope too)
    served_from: str | None = None


def fetch_hosted(documents: DocumentSource, url: str) -> Hosted:
    """The copy hosted at ``url``; ChainError when it cannot be had or is not that Assertion."""
    if http_url(url) is None:
        raise ChainError(f"a hosted assertion needs an HTTP(S) id, not {short(url)}")
    try:
        fetched = documents.get(url, accept=OB_ACCEPT)
    except HttpStatusError as exc:
        if exc.status == 410:
            return Hosted(url, None, revoked=True, reason="the issuer's server answers 410 Gone")
        raise ChainError(f"the hosted assertion could not be fetched: {exc.message}") from None
    except BadgeIssuerError as exc:
        raise ChainError(f"the hosted assertion could not be fetched: {exc.message}") from None
    try:
        document = loads_bounded(fetched.body, what=f"the document at {url}")
    except BadgeIssuerError as exc:
        raise ChainError(f"the hosted assertion is not JSON: {exc.message}") from None
    if not isinstance(document, Mapping):
        raise ChainError(f"the document at {short(url)} is not a JSON object")
    if document.get("id") != url:
        raise ChainError(f"the document at {short(url)} has another id ({short(document.get('id'))})")
    if document.get("revoked") is True:
        reason = document.get("revocationReason")
        reason = reason if isinstance(reason, str) else None
        return Hosted(url, document, revoked=True, reason=reason, served_from=fetched.url)
    return Hosted(url, document, revoked=False, served_from=fetched.url)


def scope_problem(assertion_id: str, chain: Chain) -> str | None:
    """Why ``assertion_id`` is outside the issuer's hosted-verification scope, or None if inside."""
    policy = chain.issuer.get("verification", chain.issuer.get("verify"))
    policy = policy if isinstance(policy, Mapping) else {}
    prop = policy.get("verificationProperty", "id")
    if prop not in ("id", "@id"):
        return f"the issuer's verificationProperty {short(prop)} is not supported (only id)"
    origins = [o for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    prefixes = [p for p in as_list(policy.get("startsWith")) if isinstance(p, str) and p]
    host = host_of(assertion_id)
    if origins and (host is None or host.lower() not in {o.strip().lower() for o in origins}):
        return f"the assertion id's host {short(host)} is not in the issuer's allowedOrigins {origins[:5]}"
    if prefixes and not any(assertion_id.startswith(p) for p in prefixes):
        return f"the assertion id does not start with one of the issuer's startsWith {prefixes[:5]}"
    if origins or prefixes:
        return None
    issuer_origin = origin_of(chain.issuer_id)
    if origin_of(assertion_id) != issuer_origin:
        return (
            f"the assertion id {short(assertion_id)} is not on the issuer's origin "
            f"({short(chain.issuer_id)}), and the issuer declares no other allowedOrigins"
        )
    badge_id = chain.badge.get("id")
    if chain.badge_fetched and isinstance(badge_id, str) and origin_of(badge_id) != issuer_origin:
        return f"the BadgeClass {short(badge_id)} is not on the issuer's origin"
    return None
