"""Issuing one badge or a batch, idempotently, each award in two short transactions.

A surface (REST route, CLI, later OB 3.0 API) parses its input into an ``IssueRequest`` and calls
``issue_one`` or ``issue_batch``; the VC-API's ``POST /credentials/issue`` calls ``issue_supplied``
with the client's own credential. The idempotency race, the batch loop and the request hash live
here, once.

An award is checked in a read transaction, its Idempotency-Key reserved and its status positions
taken in one short write transaction, its credential built and signed outside any transaction, and
stored in a second write transaction, so concurrent issuers (threads, worker processes, hosts) hold
the write lock for a few statements instead of for building and signing. A crash or a refusal
between the two writes leaves no record, only burnt status positions (never handed out again) and
a reservation that is released (or that a retry takes over once its lease ran out). A retry that
arrives while its twin is being signed waits for the twin's award and replays it; after
``IN_FLIGHT_WAIT_SECONDS`` it is answered ``IdempotencyInProgress`` (409 with Retry-After, as the
IETF Idempotency-Key draft asks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badge_issuer.application.claim_mail import email_claim
from badge_issuer.application.claiming import open_claim
from badge_issuer.application.services import Services
from badge_issuer.credential.requests import BatchItem, IssueRequest
from badge_issuer.db.reservations import Reservation, ReservationRepository
from badge_issuer.errors import (
    BadgeIssuerError,
    IdempotencyInProgress,
    Issue,
    StateConflict,
    ValidationFailed,
)
from badge_issuer.issuance import (
    IssueCommand,
    IssuedBadge,
    Prepared,
    SignCommand,
    build_badge,
    earlier_award,
    plan_badge,
    prepare_supplied,
    request_hash,
    sign_prepared,
    store,
    take_positions,
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


#: how long a retry waits for the award of its twin in flight before answering "in progress"
IN_FLIGHT_WAIT_SECONDS = 5.0


#: more that a caller reads in an award's read transaction (``stacking``: the pathways it advances)
AlsoRead = Callable[[Session], None]


def run_issue(
    services: Services, command: IssueCommand | SignCommand, also_read: AlsoRead | None = None
) -> IssuedBadge:
    """Prepare, sign and store one award; a concurrent twin with the same key replays the first
    award, and one that took the same credential id first makes this a conflict. ``also_read``
    runs in the award's read transaction (an award of a badge class only), once per attempt."""
    deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
    while True:
        issued = try_issue(services, command, also_read)
        if issued is not None:
            return issued
        replayed = _await_twin(services, command, deadline)  # a twin with this key is being signed
        if replayed is not None:
            tell_issued(services, command, replayed)
            return replayed


def try_issue(
    services: Services,
    command: IssueCommand | SignCommand,
    also_read: AlsoRead | None = None,
    *,
    tell: bool = True,
) -> IssuedBadge | None:
    """``run_issue`` without waiting for a twin: None while a concurrent request holds the key (the
    caller waits, as ``run_issue`` does, or hands the award back to one who will). ``tell``: count,
    e-mail and audit the award here (``tell_issued``), else its own request does."""
    prepared = _prepare(services, command, also_read)
    if prepared is None:
        return None
    issued = prepared if isinstance(prepared, IssuedBadge) else _sign_and_store(services, command, prepared)
    if tell:
        tell_issued(services, command, issued)
    return issued


def tell_issued(services: Services, command: IssueCommand | SignCommand, issued: IssuedBadge) -> None:
    """What an award tells once it is stored (or replayed): the metric, the claim e-mail and the
    audit line of a new award (in its own request's thread, whose request id the line carries)."""
    services.metrics.issued(replayed=issued.replayed)
    if issued.replayed:
        return
    if isinstance(command, IssueCommand):
        email = command.request.recipient.email
        if services.settings.claim_email and email:
            email_claim(services, issued, str(email))
    made_from = {"achievement": command.achievement_slug} if isinstance(command, IssueCommand) else {}
    audit(
        "credential.issued",
        actor=actor(command.client_id),
        issuer=command.issuer_slug,
        credential=issued.record.id,
        **made_from,
    )


def _key(command: IssueCommand | SignCommand) -> tuple[int, str] | None:
    if command.idempotency_key is None or command.client_id is None:
        return None
    return command.client_id, command.idempotency_key


def _prepare(
    services: Services, command: IssueCommand | SignCommand, also_read: AlsoRead | None = None
) -> Prepared | IssuedBadge | None:
    """The earlier award to replay, or the award prepared with its key reserved and its status
    positions taken, or None while a twin holds the key.

    An award of a badge class is checked against what we hold in a read transaction first (a
    replay is answered there, writing nothing), and built after the write, so that only the
    reservation and the positions are taken under the write lock (SQLite's one writer, the status
    list's row lock on PostgreSQL) and more workers issue more (#11)."""
    key = _key(command)
    tools = services.issuance
    plan = None
    if isinstance(command, IssueCommand):
        with services.readers() as session:
            if also_read is not None:
                also_read(session)
            earlier = earlier_award(command, session)
            if earlier is not None:
                return earlier
            plan = plan_badge(command, session=session, tools=tools)
    with services.sessions() as session, session.begin():
        reservations = ReservationRepository(session)
        if key is not None:
            taken = reservations.take(*key, command.request_hash, now=tools.clock())
            if taken is Reservation.IN_FLIGHT:
                return None
        # look for an earlier award again: a twin may have stored its award (and released the
        # key) since the read above, and this read sees it if so (the records' unique key would
        # refuse ours too, but only once it was signed, its positions burnt: concurrent retries
        # of one key take one position, and sign once)
        earlier = earlier_award(command, session)
        if earlier is not None:
            if key is not None:
                reservations.release(*key)
            return earlier
        if isinstance(command, SignCommand):
            return prepare_supplied(command, session=session, tools=tools)
        assert plan is not None
        positions = take_positions(plan, session=session, tools=tools)
    try:
        return build_badge(command, plan, positions, tools=tools)
    except BaseException:
        _release(services, key)  # its status positions stay taken: burnt, never handed out again
        raise


def _await_twin(
    services: Services, command: IssueCommand | SignCommand, deadline: float
) -> IssuedBadge | None:
    """The twin's award once it is stored; None when the twin gave up (try again ourselves)."""
    key = _key(command)
    assert key is not None  # only a keyed request has a twin
    pause = 0.005
    while time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
        with services.readers() as session:
            earlier = earlier_award(command, session)
            if earlier is not None:
                return earlier
            if not ReservationRepository(session).held(*key):
                return None
    raise IdempotencyInProgress(
        "a request with this Idempotency-Key is still being processed; retry it shortly",
        retry_after=1,
        pointer="Idempotency-Key",
    )


def _sign_and_store(
    services: Services, command: IssueCommand | SignCommand, prepared: Prepared
) -> IssuedBadge:
    """Sign outside any transaction, then store in the second short one (releasing the key)."""
    key = _key(command)
    try:
        signed = sign_prepared(prepared, tools=services.issuance)
        with services.sessions() as session, session.begin():
            issued = store(prepared, signed, session=session)
            if key is not None:
                ReservationRepository(session).release(*key)
            if isinstance(command, IssueCommand):  # every award can be claimed into a wallet
                open_claim(session, services, issued.record, issued.record.created_at)
        return issued
    except IntegrityError:
        _release(services, key)  # ours, also when we reserved the key after a twin released it
        with services.readers() as session:
            earlier = earlier_award(command, session)  # a twin with the key stored first: replay it
        if earlier is None:
            if isinstance(command, SignCommand):
                raise StateConflict("a credential with this id was signed at the same moment") from None
            raise
        return earlier
    except BaseException:
        _release(services, key)  # its status positions stay taken: burnt, never handed out again
        raise


def _release(services: Services, key: tuple[int, str] | None) -> None:
    if key is not None:
        with services.sessions() as session, session.begin():
            ReservationRepository(session).release(*key)


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
    also_read: AlsoRead | None = None,
) -> IssuedBadge:
    """Issue one badge. ``scope`` names the operation for idempotency (the request path): a retry
    with the same key, scope and request replays; another request under the key is a conflict.
    ``also_read`` runs in the award's read transaction (see ``run_issue``)."""
    command = issue_command(
        issuer=issuer,
        achievement=achievement,
        request=request,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
    )
    return run_issue(services, command, also_read)


def issue_command(
    *,
    issuer: str,
    achievement: str,
    request: IssueRequest,
    client_id: int | None,
    idempotency_key: str | None,
    scope: str,
) -> IssueCommand:
    """The award ``issue_one`` makes, its request hashed under ``scope`` (a batch item's own
    ``idempotencyKey`` left out: the hash is that of the same award issued alone)."""
    payload = request.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude={"idempotency_key"})
    return IssueCommand(
        issuer_slug=issuer,
        achievement_slug=achievement,
        request=request,
        client_id=client_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash(scope, payload),
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
            item = parse_item(raw, index)
            key = item.idempotency_key or (f"{idempotency_key}:{index}" if idempotency_key else None)
            issued = issue_item(
                services,
                issuer=issuer,
                achievement=achievement,
                item=item,
                key=key,
                client_id=client_id,
                scope=scope,
            )
            outcomes.append(BatchOutcome(index, issued=issued))
        except BadgeIssuerError as exc:
            outcomes.append(BatchOutcome(index, error=exc))
    return outcomes


def issue_item(
    services: Services,
    *,
    issuer: str,
    achievement: str,
    item: BatchItem,
    key: str | None,
    client_id: int | None,
    scope: str,
) -> IssuedBadge:
    """One item of a batch or a job, under ``key``: its request hash is that of the same award
    issued alone under ``scope``."""
    return issue_one(
        services,
        issuer=issuer,
        achievement=achievement,
        request=item,
        client_id=client_id,
        idempotency_key=key,
        scope=scope,
    )


def parse_item(raw: dict[str, Any], index: int) -> BatchItem:
    """A batch or job row as a request (ValidationFailed naming the row otherwise)."""
    try:
        return BatchItem.model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue("/" + "/".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ValidationFailed(f"item {index}: {issues[0].message}", issues) from None
