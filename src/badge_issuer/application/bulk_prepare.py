"""The first step of a batch of awards of one badge class: ``prepare_badge`` for many rows at once.

Each row is validated, built and checked exactly as ``issuance.prepare_badge`` does it (the same
functions, in the same order: dates, transportable text, the credential built from the badge
class's current version with its status entries, each status view against the schema, the whole
credential's text), but what every row shares is looked up once (issuer, badge class, its version,
the signer) and the database work is a statement per step (``db.bulk``): the keys reserved
together, the status positions taken together. A row that fails after its positions were taken
leaves them burnt (never handed out again) and its key released.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.credential.build import achievement_subject, build_credential
from badge_issuer.credential.schema import status_entry_views
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.bulk import BulkRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.jobs import JobRepository
from badge_issuer.db.reservations import Reservation
from badge_issuer.db.tables import Credential, StatusList
from badge_issuer.documents import profile
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import IssueCommand, Prepared, _check_dates, _status_entry, recipient_hash

#: what a row became: prepared, left for a later pass ("pending"), or its error
Prepping = Prepared | BadgeIssuerError | str


@dataclass(frozen=True)
class Shared:
    """What every row of the batch is built from (looked up once)."""

    issuer_id: int
    issuer_slug: str
    achievement_id: int
    version_id: int
    profile: dict[str, Any]
    achievement_json: str
    suspension: bool


def prepare_many(session: Session, services: Services, commands: list[IssueCommand]) -> list[Prepping]:
    """Each command's outcome, in order (in the caller's transaction; all rows of one badge class)."""
    if not commands:
        return []
    tools = services.issuance
    first = commands[0]
    try:
        issuer = IssuerRepository(session).by_slug(first.issuer_slug)
        achievements = AchievementRepository(session)
        achievement = achievements.get(issuer.id, first.achievement_slug)
        version = achievements.version(achievement)
        signer = tools.signer_for(session, issuer)
    except BadgeIssuerError as exc:  # e.g. the badge class was deleted: every row says so
        return [exc for _ in commands]
    shared = Shared(
        issuer.id,
        issuer.slug,
        achievement.id,
        version.id,
        profile(issuer),
        version.document_json,
        issuer.suspension_enabled,
    )
    now = tools.clock()
    results: list[Prepping] = []
    for command in commands:  # what can be refused before anything is taken
        try:
            request = command.request
            _check_dates(request, request.valid_from or now)
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
    purposes = ["revocation", "suspension"] if shared.suspension else ["revocation"]
    taken = {
        purpose: bulk.allocate(
            shared.issuer_id, purpose, len(ready), size=tools.status_list_size, now=now, rng=tools.rng
        )
        for purpose in purposes
    }
    failed: list[str] = []
    for n, index in enumerate(ready):
        positions = [taken[purpose][n] for purpose in purposes]
        try:
            results[index] = _build(services, shared, commands[index], positions, signer, now)
        except BadgeIssuerError as exc:
            results[index] = exc
            if commands[index].idempotency_key is not None:
                failed.append(commands[index].idempotency_key or "")
    if failed and client_id is not None:
        JobRepository(session).release_keys(client_id, failed)
    return results


def _build(
    services: Services,
    shared: Shared,
    command: IssueCommand,
    positions: list[tuple[StatusList, int]],
    signer: Any,
    now: Any,
) -> Prepared:
    """Steps 3 and 4 of ``prepare_badge``: the credential built and checked, the record to store."""
    tools = services.issuance
    request = command.request
    credential_id = tools.new_id()
    unsigned = build_credential(
        credential_id=tools.urls.credential(credential_id),
        issuer=shared.profile,
        achievement=json.loads(shared.achievement_json),
        subject=achievement_subject(request, tools.new_salt),
        valid_from=request.valid_from or now,
        valid_until=request.valid_until,
        evidence=[
            item.model_dump(mode="json", exclude_none=True) | {"type": ["Evidence"]}
            for item in request.evidence
        ],
        credential_status=[
            _status_entry(
                tools.urls.status_list(shared.issuer_slug, status_list.purpose, status_list.sequence),
                position,
                status_list.purpose,
            )
            for status_list, position in positions
        ],
        extra_contexts=[ED25519_2020_CONTEXT] if "Ed25519Signature2020" in request.proof else [],
    )
    for view in status_entry_views(unsigned):
        tools.schemas.validate_credential(view)
    refuse_untransportable(unsigned, suites=request.proof, what="the credential")
    identifier = request.recipient.identifier
    record = Credential(
        id=credential_id,
        issuer_id=shared.issuer_id,
        achievement_id=shared.achievement_id,
        achievement_version_id=shared.version_id,
        client_id=command.client_id,
        credential_json="",
        recipient_hash=recipient_hash(identifier, tools.recipient_pepper),
        recipient_email=identifier if (request.recipient.email and tools.store_recipient_email) else None,
        idempotency_key=command.idempotency_key,
        request_hash=command.request_hash,
        status="active",
        created_at=now,
        updated_at=now,
    )
    return Prepared(
        record=record,
        unsigned=unsigned,
        suites=tuple(request.proof),
        signer=signer,
        positions=tuple((status_list.id, position) for status_list, position in positions),
    )
