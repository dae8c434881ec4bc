"""A learner's progress on a pathway, external badges they submit, and the automatic award.

What counts: our own active awards to the learner (found by the keyed recipient hash, never by a
plain address) and the external badges they submitted, each verified again by the verification
spine before it counts (a revoked, expired or otherwise failing one does not, and the report says
why). A complete pathway awards its target through the issuing use case once per pathway and
learner: a claim row unique on (pathway, recipient hash) is written first and holds the evidence,
the client and a deterministic idempotency key, so concurrent completions and retries issue the
same request under the same key and replay the one award.
"""

import hashlib
import json
from typing import Any

from sqlalchemy.exc import IntegrityError

from badge_issuer.application.issuing import issue_one
from badge_issuer.application.pathway_holdings import (
    MAX_EXTERNAL,
    Holdings,
    Learner,
    holdings,
    learner,
    why_not_counting,
)
from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import counts_external
from badge_issuer.credential.pathway_progress import evaluate
from badge_issuer.credential.requests import EvidenceInput, IssueRequest
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.db.tables import ExternalBadge, PathwayAward
from badge_issuer.errors import InputError, Issue, ValidationFailed
from badge_issuer.observability.logs import actor, audit


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
