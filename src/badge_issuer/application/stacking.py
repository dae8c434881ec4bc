"""Issuing and revoking as pathways see them.

After a badge is issued (or replayed), every pathway of the issuer that requires its achievement is
evaluated for the recipient and, when complete, awarded (once: see ``pathway_awards``). An award
that completes a further pathway (stacked pathways) advances that one too, at most ``MAX_STACK``
levels deep. When a credential that completed an award is revoked, the pathway's ``policy``
decides: ``keep`` and ``flag`` leave the award (the awards audit reports the step; ``flag`` marks it
for attention and logs an audit line), ``revoke`` revokes the award too, with a reason naming why.

The badge stands whatever happens next: an award that cannot be made now is logged and made by
the next completion or by ``POST …/pathways/{p}/awards``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.application import award_groups, issuing, records
from badge_issuer.application.bulk_batch import issue_many
from badge_issuer.application.issuing import BatchOutcome
from badge_issuer.application.pathway_awards import award_if_complete
from badge_issuer.application.pathway_holdings import Learner, holdings, learner
from badge_issuer.application.records import Action, IssuanceRecord
from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import MAX_DEPTH, own_requirements
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import IssuedBadge
from badge_issuer.observability.logs import actor, audit

log = logging.getLogger(__name__)
MAX_STACK = MAX_DEPTH


def _requiring(services: Services, issuer: str, achievement: str) -> list[str]:
    """The pathways of ``issuer`` whose current version requires ``achievement``."""
    with services.readers() as session:
        return _requiring_in(session, issuer, achievement)


def _requiring_in(session: Session, issuer: str, achievement: str) -> list[str]:
    return [
        slug
        for slug, document in PathwayRepository(session).current_documents(issuer)
        if achievement in own_requirements(json.loads(document))
    ]


def advance(
    services: Services,
    issuer: str,
    achievement: str,
    who: Learner,
    *,
    client_id: int | None,
    pathways: list[str] | None = None,
    level: int = 0,
) -> None:
    """Award every pathway ``achievement`` completes for ``who`` (and what those complete);
    ``pathways``: those requiring ``achievement``, when the caller knows them already."""
    if level >= MAX_STACK:
        return
    slugs = _requiring(services, issuer, achievement) if pathways is None else pathways
    if not slugs:
        return
    try:
        held = holdings(services, issuer, who)
    except BadgeIssuerError as exc:
        log.warning("pathways of %s: the learner's badges could not be checked now: %s", issuer, exc.message)
        return
    for slug in slugs:
        try:
            report = award_if_complete(services, issuer, slug, who, client_id=client_id, held=held)
        except BadgeIssuerError as exc:
            log.warning("pathway %s/%s: the award could not be made now: %s", issuer, slug, exc.message)
            continue
        award = report["award"]
        if award is not None and award["recordId"] is not None:
            target = _target(services, issuer, slug)
            advance(services, issuer, target, who, client_id=client_id, level=level + 1)


def _target(services: Services, issuer: str, pathway: str) -> str:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        target: str = json.loads(repo.version(repo.get(row.id, pathway)).document_json)["target"]
        return target


def issue_one(
    services: Services,
    *,
    issuer: str,
    achievement: str,
    request: IssueRequest,
    client_id: int | None,
    idempotency_key: str | None = None,
    scope: str,
) -> IssuedBadge:
    """``issuing.issue_one`` (grouped with the awards of its badge class that arrive with it:
    ``award_groups``), then the pathways it advances (a replay advances them too, so a retry after
    a failure completes what the first attempt could not). The pathways requiring the achievement
    are read with the award, not in a transaction of their own (#11)."""
    command = issuing.issue_command(
        issuer=issuer,
        achievement=achievement,
        request=request,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
    )
    issued, pathways = award_groups.award(services, command, _requiring_in)
    if pathways:
        who = learner(services, request.recipient.identifier)
        advance(services, issuer, achievement, who, client_id=client_id, pathways=pathways)
    return issued


def issue_batch(
    services: Services,
    *,
    issuer: str,
    achievement: str,
    items: Sequence[dict[str, Any]],
    client_id: int | None,
    idempotency_key: str | None = None,
    scope: str,
) -> list[BatchOutcome]:
    """The batch on the bulk path (``bulk_batch.issue_many``: the outcomes ``issuing.issue_batch``
    gives, a transaction per step for the whole batch instead of several per item), then the
    pathways it advances, once per recipient."""
    outcomes = issue_many(
        services,
        issuer=issuer,
        achievement=achievement,
        items=items,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
    )
    issued = [items[outcome.index] for outcome in outcomes if outcome.issued is not None]
    advance_recipients(services, issuer, achievement, issued, client_id=client_id)
    return outcomes


def advance_recipients(
    services: Services,
    issuer: str,
    achievement: str,
    items: Sequence[dict[str, Any]],
    *,
    client_id: int | None,
) -> None:
    """The pathways that awards of ``achievement`` (request items, each with its ``recipient``)
    advance, once per recipient; one look for the pathways when none requires it."""
    pathways = _requiring(services, issuer, achievement)
    if not pathways:
        return
    recipients: dict[str, None] = {}
    for item in items:
        recipient = item["recipient"]
        recipients[str(recipient.get("id") or recipient.get("email"))] = None
    for identifier in recipients:
        who = learner(services, identifier)
        advance(services, issuer, achievement, who, client_id=client_id, pathways=pathways)


def change_record_status(
    services: Services,
    issuer: str,
    credential_id: str,
    action: Action,
    *,
    reason: str,
    client_id: int | None,
) -> IssuanceRecord:
    """``records.change_record_status``, then each pathway award it completed follows its policy."""
    record = records.change_record_status(
        services, issuer, credential_id, action, reason=reason, client_id=client_id
    )
    if action == "revoke":
        step_revoked(services, issuer, record, client_id=client_id)
    return record


def change_status_by_reference(
    services: Services,
    issuer: str,
    reference: str,
    actions: Sequence[str],
    *,
    reason: str,
    client_id: int | None,
) -> IssuanceRecord:
    """``records.change_status_by_reference`` (VC-API), then the same pathway policies."""
    record = records.change_status_by_reference(
        services, issuer, reference, actions, reason=reason, client_id=client_id
    )
    if "revoke" in actions:
        step_revoked(services, issuer, record, client_id=client_id)
    return record


def step_revoked(
    services: Services, issuer: str, record: IssuanceRecord, *, client_id: int | None, level: int = 0
) -> None:
    """Apply each citing pathway's policy to the awards ``record`` completed (revoking one under
    ``revoke`` applies the policies of the awards it completed in turn, at most MAX_STACK deep)."""
    if record.status != "revoked" or level >= MAX_STACK:
        return
    url = services.urls.credential(record.id)
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        citing = [
            (pathway.slug, award.credential_id, json.loads(repo.version(pathway).document_json).get("policy"))
            for award, pathway in repo.awards_citing(row.id, url)
        ]
    for slug, awarded, policy in citing:
        if policy == "keep" or awarded is None:
            continue
        audit("pathway.step_revoked", actor=actor(client_id), issuer=issuer, pathway=slug, credential=awarded)
        if policy == "revoke":
            revoked = records.change_record_status(
                services,
                issuer,
                awarded,
                "revoke",
                reason=f"a credential that completed the pathway {slug!r} was revoked ({url})",
                client_id=client_id,
            )
            step_revoked(services, issuer, revoked, client_id=client_id, level=level + 1)
