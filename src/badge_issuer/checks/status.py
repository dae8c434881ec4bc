"""``status``: BitstringStatusListEntry (BSL §3.2) and 1EdTechRevocationList entries.

For a Bitstring entry the list credential is obtained from the ``StatusSource`` (guarded HTTPS by
default; the issuing service reads its own lists locally), its proof is verified with a key its
issuer controls, its issuer must be the credential's issuer, and the status bits are read. A list
that is obtained but does not verify or is malformed is a failure ("revoked"/"suspended" are
failures too). Fail closed: a revocation or suspension status that *could not be checked* — a list
that cannot be fetched, an expired list, an unsupported status type, too many entries — is
``indeterminate`` (its own status, with the reason; the credential is not verified), never
"revoked" and never a pass. Purposes that cannot invalidate a credential (``message``,
``refresh``) only warn. When the caller asked for offline verification
(``VerifyOptions.check_status`` False) nothing is fetched and the check is ``skipped`` with a
message saying so. A 1EdTech revocation list (VCRL 1.0) is read as ``revokedCredentials[].id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from badge_issuer import status_list
from badge_issuer.checks.base import (
    FAILED,
    INDETERMINATE,
    PASSED,
    SKIPPED,
    WARNING,
    CheckResult,
    Status,
    Subject,
    VerifyContext,
    as_list,
    check,
    issuer_id,
    short,
    types_of,
)
from badge_issuer.checks.validity import parse_datetime
from badge_issuer.crypto.data_integrity import verify_proof_set
from badge_issuer.crypto.did import did_web_url
from badge_issuer.errors import BadgeIssuerError, ResolutionError
from badge_issuer.net.fetch import Fetcher, origin_of

ID = "status"
MAX_ENTRIES = 5
_BLOCKING = {"revocation": "revoked", "suspension": "suspended"}
#: purposes whose value cannot make a credential invalid: when unknown, a warning is enough
_INFORMATIONAL = frozenset({"message", "refresh"})
STATUS_ACCEPT = "application/vc+ld+json, application/vc, application/ld+json;q=0.9, application/json;q=0.9"


class FetchStatusSource:
    """Status lists over the guarded fetcher (any issuer's lists)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher

    def status_list(self, url: str) -> Mapping[str, Any]:
        document = self._fetcher.get_json(url, accept=STATUS_ACCEPT)
        if not isinstance(document, Mapping):
            raise ResolutionError(f"the status list at {url} is not a JSON object")
        return document

    def changed_on(self, credential_id: str, purpose: str) -> datetime | None:
        """Other issuers' lists say whether, never when."""
        return None


def _outcome(status: Status, message: str, **detail: Any) -> dict[str, Any]:
    return {"status": status, "message": message, **detail}


def _unknown(purpose: str, reason: str, **detail: Any) -> dict[str, Any]:
    """A status that could not be checked: indeterminate, unless the purpose is informational."""
    if purpose in _INFORMATIONAL:
        return _outcome(WARNING, f"{purpose} status unknown: {reason}", reason=reason, **detail)
    what = _BLOCKING.get(purpose, f"{short(purpose)} status")
    word = f"whether it is {what}" if purpose in _BLOCKING else what
    return _outcome(INDETERMINATE, f"could not check {word}: {reason}", reason=reason, **detail)


def _verify_list(listing: Mapping[str, Any], url: str, issuer: str | None, ctx: VerifyContext) -> str | None:
    """Why the list credential cannot be trusted, or None when it can."""
    if "BitstringStatusListCredential" not in types_of(listing):
        return f"{url} is not a BitstringStatusListCredential"
    list_issuer = issuer_id(listing)
    if list_issuer != issuer:
        return (
            f"the status list is issued by {short(list_issuer)}, "
            f"not by the credential's issuer {short(issuer)}"
        )
    problem = _proof_problem(listing, list_issuer, ctx)
    return (
        None
        if problem is None
        else "STATUS_VERIFICATION_ERROR: the status list's proof does not verify: " + problem
    )


def _proof_problem(listing: Mapping[str, Any], list_issuer: str | None, ctx: VerifyContext) -> str | None:
    """Why the list's proof set does not hold (every proof, each by a key its issuer controls)."""
    try:
        outcomes = verify_proof_set(
            listing,
            canon=ctx.canon,
            resolver=ctx.resolver,
            now=ctx.clock() - ctx.clock_skew,
            reuse=True,  # one list serves every credential pointing at it
        )
    except BadgeIssuerError as exc:
        outcomes, reasons = (), [exc.message]
    else:
        reasons = [outcome.error for outcome in outcomes if outcome.error is not None]
    for outcome in outcomes:
        if outcome.verified is None or outcome.verified.verification_method.controller == list_issuer:
            continue
        method = outcome.verified.verification_method
        reasons.append(f"signed by {short(method.id)}, which its issuer does not control")
    if outcomes and not reasons:
        return None
    return "; ".join(reasons) or "it has no proof"


def _bitstring(entry: Mapping[str, Any], subject: Subject, ctx: VerifyContext) -> dict[str, Any]:
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    if not isinstance(url, str) or not isinstance(purpose, str):
        return _outcome(
            FAILED, "MALFORMED_VALUE_ERROR: the entry needs statusListCredential and statusPurpose"
        )
    try:
        index = status_list.parse_index(entry.get("statusListIndex"))
        size = entry.get("statusSize", 1)
        listing = ctx.status.status_list(url)
    except ResolutionError as exc:
        return _unknown(purpose, f"the status list could not be retrieved ({exc.message})", url=url)
    except BadgeIssuerError as exc:
        return _outcome(FAILED, exc.message, url=url)
    problem = _verify_list(listing, url, issuer_id(subject.credential), ctx)
    if problem:
        return _outcome(FAILED, problem, url=url)
    list_subject = listing.get("credentialSubject")
    list_subject = list_subject if isinstance(list_subject, Mapping) else {}
    if purpose not in as_list(list_subject.get("statusPurpose")):
        return _outcome(
            FAILED, f"STATUS_VERIFICATION_ERROR: the list at {url} is not for {short(purpose)}", url=url
        )
    until = parse_datetime(listing.get("validUntil"))
    if until is not None and until < ctx.clock() - ctx.clock_skew:
        return _unknown(purpose, f"the status list at {url} expired on {until.date()}", url=url)
    try:
        value = status_list.read_status(
            str(list_subject.get("encodedList")), index, size, decoded=ctx.decoded_lists
        )
    except BadgeIssuerError as exc:
        return _outcome(FAILED, exc.message, url=url)
    where = {"url": url, "index": index, "purpose": purpose, "value": value}
    if value == 0:
        return _outcome(
            PASSED, f"not {_BLOCKING.get(purpose, purpose + ' set')} (status list index {index})", **where
        )
    if purpose in _BLOCKING:
        word = _BLOCKING[purpose]
        credential_id = subject.credential.get("id")
        since = ctx.status.changed_on(credential_id, purpose) if isinstance(credential_id, str) else None
        when = f" on {since.date().isoformat()}" if since is not None else ""
        if since is not None:
            where["since"] = since.isoformat()
        return _outcome(FAILED, f"{word}{when}: the status list says {word}", **where)
    messages = [m for m in as_list(entry.get("statusMessage")) if isinstance(m, Mapping)]
    text = next((m.get("message") for m in messages if m.get("status") == hex(value)), None)
    return _outcome(
        WARNING, f"{short(purpose)} status is {hex(value)}{f': {short(text)}' if text else ''}", **where
    )


def _list_origin(issuer: str | None) -> tuple[str, str, int | None] | None:
    """The web origin an issuer id names: its own for an https URL, the host of a did:web."""
    if issuer is None:
        return None
    if issuer.startswith("did:web:"):
        try:
            return origin_of(did_web_url(issuer))
        except BadgeIssuerError:
            return None
    return origin_of(issuer) if issuer.startswith("https://") else None


def _attribute_revocation_list(
    listing: Mapping[str, Any], url: str, issuer: str | None, ctx: VerifyContext
) -> tuple[Status, str] | None:
    """Why a 1EdTech revocation list cannot be taken as the credential issuer's, or None if it can.

    A list that names an issuer must name the credential's; a list with a proof must verify with a
    key that issuer controls; an unsigned list must at least be served from the issuer's own origin
    (its https id, or its did:web host), else whose list it is cannot be established.
    """
    named = issuer_id(listing)
    if named is not None and named != issuer:
        return (
            FAILED,
            f"the revocation list is issued by {short(named)}, not by the credential's issuer "
            f"{short(issuer)}",
        )
    if "proof" in listing:
        if named is None:
            return FAILED, "the revocation list carries a proof but names no issuer to check it against"
        problem = _proof_problem(listing, named, ctx)
        return (FAILED, "the revocation list's proof does not verify: " + problem) if problem else None
    if _list_origin(issuer) is None or origin_of(url) != _list_origin(issuer):
        return INDETERMINATE, (
            f"the revocation list at {short(url)} carries no proof and is not served "
            "from the issuer's own origin, so it cannot be attributed to the issuer"
        )
    return None


def _revocation_list(entry: Mapping[str, Any], subject: Subject, ctx: VerifyContext) -> dict[str, Any]:
    url = entry.get("id")
    if not isinstance(url, str):
        return _outcome(FAILED, "a 1EdTechRevocationList entry needs the list URL as its id")
    try:
        listing = ctx.status.status_list(url)
    except ResolutionError as exc:
        return _unknown("revocation", f"the revocation list could not be retrieved ({exc.message})", url=url)
    problem = _attribute_revocation_list(listing, url, issuer_id(subject.credential), ctx)
    if problem is not None and problem[0] == INDETERMINATE:
        return _unknown("revocation", problem[1], url=url)
    if problem is not None:
        return _outcome(FAILED, problem[1], url=url)
    revoked = [item for item in as_list(listing.get("revokedCredentials")) if isinstance(item, Mapping)]
    match = next((item for item in revoked if item.get("id") == subject.credential.get("id")), None)
    if match is None:
        return _outcome(PASSED, "not revoked (1EdTech revocation list)", url=url)
    reason = match.get("revocationReason")
    return _outcome(
        FAILED,
        "revoked: the revocation list says revoked" + (f" ({short(reason)})" if reason else ""),
        url=url,
    )


@check(ID)
def status_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    entries = as_list(subject.credential.get("credentialStatus"))
    if not entries:
        return CheckResult(ID, SKIPPED, "the credential carries no credentialStatus, so it cannot be revoked")
    if not ctx.options.check_status:
        return CheckResult(
            ID,
            SKIPPED,
            "not checked (offline mode was requested): whether it is revoked or suspended is unknown",
            {"mode": "offline", "entries": len(entries)},
        )
    outcomes: list[dict[str, Any]] = []
    for entry in entries[:MAX_ENTRIES]:
        kind = types_of(entry) if isinstance(entry, Mapping) else []
        if not isinstance(entry, Mapping):
            outcomes.append(_outcome(FAILED, "credentialStatus entries must be objects"))
        elif "BitstringStatusListEntry" in kind:
            outcomes.append({"type": "BitstringStatusListEntry", **_bitstring(entry, subject, ctx)})
        elif "1EdTechRevocationList" in kind:
            outcomes.append({"type": "1EdTechRevocationList", **_revocation_list(entry, subject, ctx)})
        else:
            reason = f"status type {short(kind)} is not supported"
            outcomes.append(_outcome(INDETERMINATE, f"could not check the status: {reason}", reason=reason))
    if len(entries) > MAX_ENTRIES:
        reason = f"only the first {MAX_ENTRIES} of {len(entries)} credentialStatus entries are checked"
        outcomes.append(_outcome(INDETERMINATE, f"could not check every status: {reason}", reason=reason))
    detail = {"entries": outcomes}
    for status in (FAILED, INDETERMINATE, WARNING):
        hits = [outcome["message"] for outcome in outcomes if outcome["status"] == status]
        if hits:
            return CheckResult(ID, status, "; ".join(hits), detail)
    return CheckResult(ID, PASSED, "; ".join(outcome["message"] for outcome in outcomes), detail)
