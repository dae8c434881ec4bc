"""Issuing one badge or a batch, idempotently, each award in its own transaction.

A surface (REST route, CLI, later OB 3.0 API) parses its input into an ``IssueRequest`` and calls
``issue_one`` or ``issue_batch``; the VC-API's ``POST /credentials/issue`` calls ``issue_supplied``
with the client's own credential. The idempotency race, the batch loop and the request hash live
here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from badge_issuer.application.claim_mail import email_claim
from badge_issuer.application.claiming import open_claim
from badge_issuer.application.services import Services
from badge_issuer.credential.requests import BatchItem, IssueRequest
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.errors import BadgeIssuerError, Issue, StateConflict, ValidationFailed
from badge_issuer.issuance import (
    IssueCommand,
    IssuedBadge,
    SignCommand,
    issue_badge,
    replay,
    request_hash,
    sign_supplied,
)
from badge_issuer.observability.logs import actor, audit


@dataclass(frozen=True)
class BatchOutcome:
    """One item of a batch: ``issued`` (created or replayed) or ``error`` (rejected)."""

    index: int
    issued: IssuedBadge | None = None
    error: BadgeIssuerError | None = None

    @property
    def status(self) -> str:
        if self.issued is None:
            return "rejected"
        return "replayed" if self.issued.replayed else "created"


def run_issue(services: Services, command: IssueCommand | SignCommand) -> IssuedBadge:
    """Run the spine in its own transaction; a concurrent twin with the same key replays, and one
    that took the same credential id first makes this a conflict."""
    try:
        with services.sessions() as session, session.begin():
            if isinstance(command, SignCommand):
                issued = sign_supplied(command, session=session, tools=services.issuance)
            else:
                issued = issue_badge(command, session=session, tools=services.issuance)
                if not issued.replayed:  # every award can be claimed into a wallet (claiming.py)
                    open_claim(session, services, issued.record, issued.record.created_at)
    except IntegrityError:
        earlier = None
        if command.idempotency_key is not None and command.client_id is not None:
            with services.readers() as session:
                earlier = CredentialRepository(session).by_idempotency_key(
                    command.client_id, command.idempotency_key
                )
        if earlier is None:
            if isinstance(command, SignCommand):
                raise StateConflict("a credential with this id was signed at the same moment") from None
            raise
        issued = replay(earlier, command.request_hash)
    services.metrics.issued(replayed=issued.replayed)
    if isinstance(command, IssueCommand) and not issued.replayed:
        email = command.request.recipient.email
        if services.settings.claim_email and email:
            email_claim(services, issued, str(email))
    if not issued.replayed:
        made_from = {"achievement": command.achievement_slug} if isinstance(command, IssueCommand) else {}
        audit(
            "credential.issued",
            actor=actor(command.client_id),
            issuer=command.issuer_slug,
            credential=issued.record.id,
            **made_from,
        )
    return issued


def issue_supplied(
    services: Services,
    *,
    issuer: str,
    credential: dict[str, Any],
    cryptosuite: str,
    status_purpose: str | None,
    credential_uri: str | None,
    client_id: int | None,
    idempotency_key: str | None = None,
    scope: str,
    payload: Any,
) -> IssuedBadge:
    """Sign a credential the client wrote (VC-API) as ``issuer``; ``payload`` is the whole request
    as received, which a retry under the same Idempotency-Key must repeat."""
    return run_issue(
        services,
        SignCommand(
            issuer_slug=issuer,
            credential=credential,
            cryptosuite=cryptosuite,
            status_purpose=status_purpose,
            credential_uri=credential_uri,
            client_id=client_id,
            idempotency_key=idempotency_key,
            request_hash=request_hash(scope, payload),
        ),
    )


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
    """Issue one badge. ``scope`` names the operation for idempotency (the request path): a retry
    with the same key, scope and request replays; another request under the key is a conflict."""
    payload = request.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return run_issue(
        services,
        IssueCommand(
            issuer_slug=issuer,
            achievement_slug=achievement,
            request=request,
            client_id=client_id,
            idempotency_key=idempotency_key,
            request_hash=request_hash(scope, payload),
        ),
    )


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
    """Each item is atomic on its own: a bad row is reported and never sinks the others.

    An item's idempotency key is its own ``idempotencyKey``, else ``<batch key>:<index>``; its
    request hash is that of the same award issued alone under ``scope``.
    """
    outcomes: list[BatchOutcome] = []
    for index, raw in enumerate(items):
        try:
            item = _item(raw, index)
            key = item.idempotency_key or (f"{idempotency_key}:{index}" if idempotency_key else None)
            payload = item.model_dump(
                mode="json", by_alias=True, exclude_unset=True, exclude={"idempotency_key"}
            )
            issued = run_issue(
                services,
                IssueCommand(
                    issuer_slug=issuer,
                    achievement_slug=achievement,
                    request=item,
                    client_id=client_id,
                    idempotency_key=key,
                    request_hash=request_hash(scope, payload),
                ),
            )
            outcomes.append(BatchOutcome(index, issued=issued))
        except BadgeIssuerError as exc:
            outcomes.append(BatchOutcome(index, error=exc))
    return outcomes


def _item(raw: dict[str, Any], index: int) -> BatchItem:
    try:
        return BatchItem.model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue("/" + "/".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ValidationFailed(f"item {index}: {issues[0].message}", issues) from None
