"""The first step of a batch of awards of one badge class: ``prepare_badge`` for many rows at once,
up to the build.

Each row is validated and given its status positions exactly as ``issuance.prepare_badge`` does it
(the same functions, in the same order: dates, transportable text, positions), but what every row
shares is read once, in one statement (issuer, badge class, its version, the signing key), and the
database work is a statement per step (``db.bulk``): the keys reserved together, the status
positions taken together.
What comes out is each row's ``Ready`` award: the command, its plan and its positions, from which
``issuance.build_badge`` makes the credential after this transaction, in this process or in a
worker process (``bulk_signing``). A row whose build fails leaves its positions burnt (never
handed out again) and its key released by the chunk's store step. A failure that is not a row's
own (an unexpected error, a key that cannot be loaded) fails the whole batch after this
transaction committed: its positions stay burnt, its keys reserved until the chunk's next run
releases them (``job_chunks``), as when signing fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.bulk import BulkRepository
from badge_issuer.db.reservations import Reservation
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import IssueCommand, Plan, Positions, check_dates


@dataclass(frozen=True)
class Ready:
    """A row checked and its status positions taken, its credential not yet built."""

    command: IssueCommand
    plan: Plan
    positions: Positions


#: what a row became: ready to build, left for a later pass ("pending"), or its error
Prepping = Ready | BadgeIssuerError | str


def prepare_many(session: Session, services: Services, commands: list[IssueCommand]) -> list[Prepping]:
    """Each command's outcome, in order (in the caller's transaction; all rows of one badge class)."""
    if not commands:
        return []
    tools = services.issuance
    first = commands[0]
    try:
        issuer, achievement, version, key = AchievementRepository(session).current_of(
            first.issuer_slug, first.achievement_slug
        )
        signer = tools.signer_of(issuer, key)
    except BadgeIssuerError as exc:  # e.g. the badge class was deleted: every row says so
        return [exc for _ in commands]
    now = tools.clock()
    results: list[Prepping] = []
    for command in commands:  # what can be refused before anything is taken
        try:
            request = command.request
            check_dates(request, request.valid_from or now)
            refuse_untransportable(
                request.model_dump(mode="json", by_alias=True, exclude_none=True), suites=request.proof
            )
            results.append("ready")
        except BadgeIssuerError as exc:
            results.append(exc)
    bulk = BulkRepository(session)
    client_id = first.client_id
    keyed = [
        (command.idempotency_key, command.request_hash)
        for command, result in zip(commands, results, strict=True)
        if result == "ready" and command.idempotency_key is not None
    ]
    reserved = bulk.reserve(client_id, keyed, now=now) if client_id is not None and keyed else {}
    for index, command in enumerate(commands):
        answer = reserved.get(command.idempotency_key or "")
        if results[index] == "ready" and answer is not None and answer is not Reservation.TAKEN:
            results[index] = "pending" if answer is Reservation.IN_FLIGHT else answer
    ready = [index for index, result in enumerate(results) if result == "ready"]
    purposes = ["revocation", "suspension"] if issuer.suspension_enabled else ["revocation"]
    taken = {
        purpose: bulk.allocate(
            issuer.id, purpose, len(ready), size=tools.status_list_size, now=now, rng=tools.rng
        )
        for purpose in purposes
    }
    for n, index in enumerate(ready):
        command = commands[index]
        plan = Plan(issuer, achievement, version, now, command.request.valid_from or now, signer)
        results[index] = Ready(command, plan, tuple(taken[purpose][n] for purpose in purposes))
    return results
