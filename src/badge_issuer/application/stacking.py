"""Issuing that counts toward pathways: after a badge is issued (or replayed), every pathway of the
issuer that requires its achievement is evaluated for the recipient and, when complete, awarded
(once: see ``pathway_awards``). An award that completes a further pathway (stacked pathways)
advances that one too, at most ``MAX_STACK`` levels deep.

The badge stands whatever happens next: an award that cannot be made now is logged and made by
the next completion or by ``POST …/pathways/{p}/awards``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from badge_issuer.application import issuing
from badge_issuer.application.issuing import BatchOutcome
from badge_issuer.application.pathway_awards import Learner, award_if_complete, learner
from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import MAX_DEPTH, own_requirements
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import IssuedBadge

log = logging.getLogger(__name__)
MAX_STACK = MAX_DEPTH


def _requiring(services: Services, issuer: str, achievement: str) -> list[str]:
    """The pathways of ``issuer`` whose current version requires ``achievement``."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        return [
            item.slug
            for item in repo.all(row.id)
            if achievement in own_requirements(json.loads(repo.version(item).document_json))
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
    for slug in _requiring(services, issuer, achievement) if pathways is None else pathways:
        try:
            report = award_if_complete(services, issuer, slug, who, client_id=client_id)
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
    """``issuing.issue_one``, then the pathways it advances (a replay advances them too, so a
    retry after a failure completes what the first attempt could not)."""
    issued = issuing.issue_one(
        services,
        issuer=issuer,
        achievement=achievement,
        request=request,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
    )
    pathways = _requiring(services, issuer, achievement)
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
    """``issuing.issue_batch``, then the pathways it advances, once per recipient."""
    outcomes = issuing.issue_batch(
        services,
        issuer=issuer,
        achievement=achievement,
        items=items,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
    )
    pathways = _requiring(services, issuer, achievement)
    if not pathways:
        return outcomes
    recipients: dict[str, None] = {}
    for outcome in outcomes:
        if outcome.issued is not None:
            recipient = items[outcome.index]["recipient"]
            recipients[str(recipient.get("id") or recipient.get("email"))] = None
    for identifier in recipients:
        who = learner(services, identifier)
        advance(services, issuer, achievement, who, client_id=client_id, pathways=pathways)
    return outcomes
