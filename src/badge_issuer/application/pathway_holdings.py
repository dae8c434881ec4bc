"""What counts toward a learner's pathways at one issuer: who the learner is, and what they hold.

A learner is a recipient as the caller named them (an email address or a DID) and as records know
them (the keyed recipient hash). What they hold: our own active awards to them (and, for a DID, our
awards delivered to it in a wallet), the external badges submitted for them, and the other issuers'
badges their wallets stored here through the Open Badges API (JSON or VC-JWT) — each external one
verified again by the verification spine before it counts, and set aside with the reason when it
does not (revoked, expired, failing, or not awarded to this learner). Our own awards count while
active and valid: one whose ``validUntil`` has passed is set aside too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer.application.services import Services
from badge_issuer.application.verifying import verify_presented
from badge_issuer.checks.validity import parse_datetime
from badge_issuer.credential.pathway_progress import Held, held_from
from badge_issuer.credential.requests import Recipient, lookup_identifier
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import BadgeIssuerError, InputError
from badge_issuer.formats.vcjwt import decode_vc_jwt
from badge_issuer.issuance import recipient_hash
from badge_issuer.verification import VerificationReport
from badge_issuer.wallet.secrets import digest as holder_digest

#: external badges one learner may hold at one issuer (each is verified again when it counts)
MAX_EXTERNAL = 50


@dataclass(frozen=True)
class Learner:
    """A recipient as the caller named them (email or DID) and as records know them (the hash)."""

    identifier: str
    hash: str

    @property
    def recipient(self) -> Recipient:
        if "@" in self.identifier and ":" not in self.identifier:
            return Recipient(email=self.identifier)
        return Recipient(id=self.identifier)

    @property
    def email(self) -> str | None:
        return self.identifier if self.recipient.email is not None else None


def learner(services: Services, recipient: str) -> Learner:
    identifier = lookup_identifier(recipient)
    try:
        Recipient(email=identifier) if "@" in identifier and ":" not in identifier else Recipient(
            id=identifier
        )
    except ValueError:
        raise InputError("recipient must be an email address or a DID/URL", pointer="recipient") from None
    return Learner(identifier, recipient_hash(identifier, services.issuance.recipient_pepper))


def _failing(report: VerificationReport) -> str:
    bad = [c for c in report.checks if c.status in ("failed", "indeterminate")]
    return "; ".join(f"{c.id}: {c.message}" for c in bad)[:500] or "does not verify"


def why_not_counting(
    services: Services, who: Learner, credential: dict[str, Any], *, token: str | None = None
) -> str | None:
    """Why this external badge does not count for ``who`` now (None: it counts); ``token``: the
    VC-JWT that carries ``credential``, which is what is verified then."""
    if token is not None:
        report = verify_presented(services, token.encode(), content_type="text/plain", recipient=who.email)
    else:
        data = json.dumps(credential, ensure_ascii=False).encode()
        report = verify_presented(services, data, content_type="application/json", recipient=who.email)
    if not report.verified:
        return _failing(report)
    if who.email is None:
        subject = credential.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("id") != who.identifier:
            return "the badge's credentialSubject.id is not this recipient"
    return None


def validity_ended(credential: Mapping[str, Any], now: datetime) -> str | None:
    """Why one of our active awards does not count now: its ``validUntil`` has passed (None: it counts)."""
    until = parse_datetime(credential.get("validUntil"))
    if until is not None and until <= now:
        return f"expired at {until.isoformat()}"
    return None


#: what counts for a learner now, and what was set aside and why
Holdings = tuple[list[Held], list[dict[str, Any]]]
#: verdicts of external badges already verified in one use case: (learner, token or JSON) → reason
Verdicts = dict[tuple[str, str], str | None]


def holdings(services: Services, issuer: str, who: Learner, *, verdicts: Verdicts | None = None) -> Holdings:
    """What counts for ``who`` now (external badges verified again), and what was set aside and why;
    one evaluation of several pathways shares it. ``verdicts``: a memo one caller shares between
    the issuers it evaluates, so that each badge is verified once (a fresh one per use case: a
    verdict is only as current as the call that made it)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        own = [(item, item.credential_json) for item in repo.active_awards(row.id, who.hash)]
        if who.email is None:  # a DID: and our awards delivered to it (claimed into its wallet)
            known = {item.id for item, _ in own}
            own += [
                pair
                for pair in repo.delivered_awards(row.id, holder_digest(who.identifier))
                if pair[0].id not in known
            ]
        labels = CredentialRepository(session).achievement_labels([item for item, _ in own])
        held: list[Held] = []
        set_aside: list[dict[str, Any]] = []
        now = services.clock()
        for item, text in own:
            if item.id not in labels:
                continue
            credential = json.loads(text)
            view = held_from(credential, source="own", slug=labels[item.id][0], version=labels[item.id][1])
            ended = validity_ended(credential, now)
            if ended is None:
                held.append(view)
            else:  # active, but no longer valid: a verifier would refuse it
                set_aside.append({"credential": view.ref, "source": "own", "reason": ended})
        external = [json.loads(item.credential_json) for item in repo.external(row.id, who.hash)]
        # and what the learner's wallets stored here through the OB API (other issuers' badges)
        stored = repo.wallet_badges(who.hash, not_issued_by=row.did, limit=MAX_EXTERNAL)
    seen = {held_from(credential, source="external").ref for credential in external}
    tokens: dict[int, str] = {}  # a wallet's VC-JWT: verified as the token it stored
    for fmt, body in stored:
        credential = wallet_credential(fmt, body)
        if credential is not None and held_from(credential, source="external").ref not in seen:
            seen.add(held_from(credential, source="external").ref)
            if fmt == "jwt":
                tokens[len(external)] = body
            external.append(credential)
    for index, credential in enumerate(external):
        token = tokens.get(index)
        if verdicts is None:
            reason = why_not_counting(services, who, credential, token=token)
        else:
            key = (who.identifier, token if token is not None else json.dumps(credential, sort_keys=True))
            if key not in verdicts:
                verdicts[key] = why_not_counting(services, who, credential, token=token)
            reason = verdicts[key]
        view = held_from(credential, source="external")
        if reason is None:
            held.append(view)
        else:
            set_aside.append({"credential": view.ref, "source": "external", "reason": reason})
    return held, set_aside


def wallet_credential(fmt: str, body: str) -> dict[str, Any] | None:
    """The credential a wallet stored (JSON, or the one a VC-JWT carries: not yet verified)."""
    if fmt == "jwt":
        try:
            return dict(decode_vc_jwt(body).credential)
        except BadgeIssuerError:
            return None
    credential = json.loads(body)
    return credential if isinstance(credential, dict) else None
