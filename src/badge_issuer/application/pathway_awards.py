"""A learner's progress on a pathway, external badges they submit, and the automatic award.

What counts: our own active awards to the learner (found by the keyed recipient hash, never by a
plain address) and the external badges they submitted, each verified again by the verification
spine before it counts (a revoked, expired or otherwise failing one does not, and the report says
why). A complete pathway awards its target through the issuing use case once per pathway and
learner: a claim row unique on (pathway, recipient hash) is written first and holds the evidence,
the client and a deterministic idempotency key, so concurrent completions and retries issue the
same request under the same key and replay the one award.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from badge_issuer.application.issuing import issue_one
from badge_issuer.application.services import Services
from badge_issuer.application.verifying import verify_presented
from badge_issuer.credential.pathway import counts_external
from badge_issuer.credential.pathway_progress import Held, evaluate, held_from
from badge_issuer.credential.requests import EvidenceInput, IssueRequest, Recipient, lookup_identifier
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.db.tables import ExternalBadge, PathwayAward
from badge_issuer.errors import BadgeIssuerError, InputError, Issue, ValidationFailed
from badge_issuer.formats.vcjwt import decode_vc_jwt
from badge_issuer.issuance import recipient_hash
from badge_issuer.observability.logs import actor, audit
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


def submit_external(
    services: Services, issuer: str, recipient: str, credential: dict[str, Any], *, client_id: int | None
) -> list[dict[str, Any]]:
    """Keep a learner's external badge once it verifies as theirs; then award every pathway of
    ``issuer`` it completes. Answers the awards made or found (ValidationFailed if it does not verify)."""
    who = learner(services, recipient)
    reason = why_not_counting(services, who, credential)
    if reason is not None:
        raise ValidationFailed(f"the badge does not count: {reason}", [Issue("/credential", reason)])
    text = json.dumps(credential, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        if repo.find_external(row.id, who.hash, digest) is None:
            if len(repo.external(row.id, who.hash)) >= MAX_EXTERNAL:
                raise InputError(f"a learner may submit at most {MAX_EXTERNAL} external badges")
            try:
                with session.begin_nested():
                    repo.add_external(
                        ExternalBadge(
                            issuer_id=row.id,
                            recipient_hash=who.hash,
                            sha256=digest,
                            credential_json=text,
                            submitted_at=services.clock(),
                        )
                    )
            except IntegrityError:
                pass  # the same badge submitted at the same moment: kept once
        slugs = [
            item.slug
            for item in repo.all(row.id)
            if counts_external(json.loads(repo.version(item).document_json))
        ]
    awards = []
    held = holdings(services, issuer, who) if slugs else None
    for slug in slugs:
        progress = award_if_complete(services, issuer, slug, who, client_id=client_id, held=held)
        if progress["award"] is not None:
            awards.append({"pathway": slug, **progress["award"]})
    return awards


#: what counts for a learner now, and what was set aside and why
Holdings = tuple[list[Held], list[dict[str, Any]]]


def holdings(services: Services, issuer: str, who: Learner) -> Holdings:
    """What counts for ``who`` now (external badges verified again), and what was set aside and why;
    one evaluation of several pathways shares it."""
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
        held = [
            held_from(json.loads(text), source="own", slug=labels[item.id][0], version=labels[item.id][1])
            for item, text in own
            if item.id in labels
        ]
        external = [json.loads(item.credential_json) for item in repo.external(row.id, who.hash)]
        # and what the learner's wallets stored here through the OB API (other issuers' badges)
        stored = repo.wallet_badges(who.hash, not_issued_by=row.did, limit=MAX_EXTERNAL)
    seen = {held_from(credential, source="external").ref for credential in external}
    tokens: dict[int, str] = {}  # a wallet's VC-JWT: verified as the token it stored
    for fmt, body in stored:
        credential = _wallet_credential(fmt, body)
        if credential is not None and held_from(credential, source="external").ref not in seen:
            seen.add(held_from(credential, source="external").ref)
            if fmt == "jwt":
                tokens[len(external)] = body
            external.append(credential)
    set_aside = []
    for index, credential in enumerate(external):
        reason = why_not_counting(services, who, credential, token=tokens.get(index))
        view = held_from(credential, source="external")
        if reason is None:
            held.append(view)
        else:
            set_aside.append({"credential": view.ref, "source": "external", "reason": reason})
    return held, set_aside


def _wallet_credential(fmt: str, body: str) -> dict[str, Any] | None:
    """The credential a wallet stored (JSON, or the one a VC-JWT carries: not yet verified)."""
    if fmt == "jwt":
        try:
            return dict(decode_vc_jwt(body).credential)
        except BadgeIssuerError:
            return None
    credential = json.loads(body)
    return credential if isinstance(credential, dict) else None


def progress(services: Services, issuer: str, pathway: str, recipient: str) -> dict[str, Any]:
    """The learner's progress on the current version, and the award if one was made."""
    return _progress(services, issuer, pathway, learner(services, recipient))


def _progress(
    services: Services, issuer: str, pathway: str, who: Learner, held: Holdings | None = None
) -> dict[str, Any]:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        item = repo.get(row.id, pathway)
        document = json.loads(repo.version(item).document_json)
        claim = repo.award(item.id, who.hash)
        award = _award_json(services, claim) if claim is not None else None
    counting, set_aside = held if held is not None else holdings(services, issuer, who)
    tree = evaluate(document["requirements"], counting)
    return {
        "pathway": pathway,
        "version": document["version"],
        "complete": tree["met"],
        "requirements": tree,
        "counted": tree["countedBy"] if tree["met"] else [],
        "notCounting": set_aside,
        "award": award,
    }


def _award_json(services: Services, claim: PathwayAward) -> dict[str, Any]:
    return {
        "credential": services.urls.credential(claim.credential_id) if claim.credential_id else None,
        "recordId": claim.credential_id,
        "pathwayVersion": claim.pathway_version,
        "evidence": json.loads(claim.evidence_json),
        "awarded": claim.created_at.isoformat().replace("+00:00", "Z"),
    }


def award_progress(
    services: Services, issuer: str, pathway: str, recipient: str, *, client_id: int | None
) -> dict[str, Any]:
    """Evaluate the learner's progress and, when complete, award the target (once)."""
    return award_if_complete(services, issuer, pathway, learner(services, recipient), client_id=client_id)


def award_if_complete(
    services: Services,
    issuer: str,
    pathway: str,
    who: Learner,
    *,
    client_id: int | None,
    held: Holdings | None = None,
) -> dict[str, Any]:
    """Award the target when ``who`` completed ``pathway`` (once); ``held``: their holdings, when
    the caller has them already."""
    report = _progress(services, issuer, pathway, who, held)
    if not report["complete"] and report["award"] is None:
        return report
    if report["award"] is not None and report["award"]["recordId"] is not None:
        return report
    claim = _claim(services, issuer, pathway, who, report, client_id=client_id)
    evidence = json.loads(claim.evidence_json)
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        document = json.loads(
            PathwayRepository(session)
            .version(PathwayRepository(session).get(row.id, pathway), claim.pathway_version)
            .document_json
        )
    request = IssueRequest(
        recipient=who.recipient,
        narrative=f"Awarded on completing the pathway {document['name']!r} "
        f"(version {claim.pathway_version}).",
        evidence=[
            EvidenceInput(id=ref, name="Counted toward this award", genre="Credential") for ref in evidence
        ],
    )
    issued = issue_one(
        services,
        issuer=issuer,
        achievement=document["target"],
        request=request,
        client_id=claim.client_id,
        idempotency_key=claim.idempotency_key,
        scope=f"pathway:{issuer}/{pathway}",
    )
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        stored = repo.award(repo.get(row.id, pathway).id, who.hash)
        assert stored is not None
        if stored.credential_id is None:
            stored.credential_id = issued.record.id
            audit(
                "pathway.awarded",
                actor=actor(client_id),
                issuer=issuer,
                pathway=pathway,
                credential=issued.record.id,
            )
        report["award"] = _award_json(services, stored)
    return report


def _claim(
    services: Services,
    issuer: str,
    pathway: str,
    who: Learner,
    report: dict[str, Any],
    *,
    client_id: int | None,
) -> PathwayAward:
    """The one claim of this award: written now, or the one a concurrent completion wrote."""
    try:
        with services.sessions() as session, session.begin():
            row = IssuerRepository(session).by_slug(issuer)
            repo = PathwayRepository(session)
            item = repo.get(row.id, pathway)
            existing = repo.award(item.id, who.hash)
            if existing is not None:
                session.expunge(existing)
                return existing
            claim = PathwayAward(
                pathway_id=item.id,
                pathway_version=report["version"],
                recipient_hash=who.hash,
                client_id=client_id,
                idempotency_key=f"pathway:{item.id}:{who.hash[:64]}",
                evidence_json=json.dumps(report["counted"]),
                created_at=services.clock(),
            )
            repo.add_award(claim)
            session.expunge(claim)
            return claim
    except IntegrityError:
        with services.readers() as session:
            row = IssuerRepository(session).by_slug(issuer)
            repo = PathwayRepository(session)
            existing = repo.award(repo.get(row.id, pathway).id, who.hash)
            assert existing is not None
            session.expunge(existing)
            return existing


def awards_audit(services: Services, issuer: str, pathway: str) -> dict[str, Any]:
    """Every automatic award of the pathway, and which of our credentials that completed it are no
    longer active (revoked or suspended later): the issuer's ``policy`` says what to do."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        item = repo.get(row.id, pathway)
        policy = json.loads(repo.version(item).document_json).get("policy", "flag")
        claims = repo.awards(item.id)
        own_prefix = services.urls.credential("")
        ids = [
            ref.removeprefix(own_prefix)
            for claim in claims
            for ref in json.loads(claim.evidence_json)
            if ref.startswith(own_prefix)
        ] + [claim.credential_id for claim in claims if claim.credential_id]
        statuses = repo.statuses(ids)
        awards = []
        for claim in claims:
            changed = [
                {"credential": ref, "status": statuses.get(ref.removeprefix(own_prefix), "unknown")}
                for ref in json.loads(claim.evidence_json)
                if ref.startswith(own_prefix) and statuses.get(ref.removeprefix(own_prefix)) != "active"
            ]
            awards.append(
                _award_json(services, claim)
                | {
                    "recipientHash": claim.recipient_hash,
                    "status": statuses.get(claim.credential_id or "", "pending"),
                    "stepsNoLongerActive": changed,
                    "attention": bool(changed) and policy != "keep",
                }
            )
    return {"pathway": pathway, "policy": policy, "awards": awards}
