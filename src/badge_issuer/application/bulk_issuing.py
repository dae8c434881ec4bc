"""Issuing many awards of one badge class at once: a bulk job's chunk, in three batched steps.

``issue_rows`` runs issuance's own steps (``prepare_badge``, ``build_badge``, ``sign_prepared``)
over a whole chunk, batching the database work around them: (1) one short write transaction looks
up the rows' earlier awards, reserves their Idempotency-Keys and takes every row's status
positions; (2) the chunk's credentials are built and signed outside any transaction, in this
process or by a ``Signing`` over worker processes (``bulk_signing``: every core builds and signs,
the CPU work of an award); (3) one transaction inserts the chunk's records together
(executemany), attaches their positions, opens their claims (as ``claiming.open_claim`` does),
releases the keys (those of rows whose build failed too) and lets the caller record the rows'
outcomes (``on_store``), so an award and its row's outcome land together. ``begin_rows`` runs step
(1) and starts (2), ``end_rows`` waits for (2) and runs (3): a caller whose ``Signing`` works
``in_background`` begins a batch before it ends the one before (``job_chunks``), so its database
work overlaps the signing.

The first step is ``bulk_prepare.prepare_many`` (``prepare_badge`` for many rows, a statement per
step). Idempotency per row is that of ``issue_item``: the same request hash, so a row already awarded
under its key (alone, in a batch, by an earlier run of the job) replays that award; another body
under the key is rejected. A crash between the steps leaves burnt status positions (never handed
out again) and reservations that the chunk's next owner releases. A row whose key is held by a
request still in flight stays ``pending`` for a later pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeGuard, runtime_checkable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badge_issuer.application.bulk_prepare import Ready, prepare_many
from badge_issuer.application.issuing import issue_command, parse_item, tell_issued
from badge_issuer.application.services import Services
from badge_issuer.db.bulk import BulkRepository
from badge_issuer.db.jobs import JobRepository
from badge_issuer.db.statements import insert_many
from badge_issuer.db.tables import Claim, Credential
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import (
    IssueCommand,
    IssuedBadge,
    build_badge,
    replay,
    sign_prepared,
    stored_json,
)
from badge_issuer.signing import IssuanceTools
from badge_issuer.wallet import secrets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Made:
    """An award built and signed: its record (not yet stored), its positions and its credential."""

    record: Credential
    #: (status list id, position) taken for it
    positions: tuple[tuple[int, int], ...]
    credential: dict[str, Any]


#: builds and signs a chunk's ready awards, in order: each one Made, or the error its build raised
#: (in this process, or in a pool of worker processes)
Signing = Callable[[Services, Sequence[Ready]], list[Made | BadgeIssuerError]]


@dataclass(frozen=True)
class ChunkSpec:
    """What every row of a chunk shares: the badge class, the caller, the idempotency scope."""

    issuer: str
    achievement: str
    client_id: int | None
    scope: str


@dataclass(frozen=True)
class RowIn:
    ref: int  # the caller's handle (a job row's id)
    number: int  # named in a rejected row's problem
    item: dict[str, Any]
    key: str | None


@dataclass(frozen=True)
class RowOut:
    ref: int
    state: str  # created | replayed | rejected | pending (its key is held by a request in flight)
    issued: IssuedBadge | None = None
    error: BadgeIssuerError | None = None


def sign_here(services: Services, ready: Sequence[Ready]) -> list[Made | BadgeIssuerError]:
    """Build and sign each award in this process."""
    return [make(one, tools=services.issuance) for one in ready]


def make(ready: Ready, *, tools: IssuanceTools) -> Made | BadgeIssuerError:
    """``build_badge`` then ``sign_prepared``: the award, or the error its build raised. The record
    holds the credential's stored text already: made in a worker process, it crosses the pipe as
    one string, and the runner, which stores the batch, does not serialize it."""
    try:
        prepared = build_badge(ready.command, ready.plan, ready.positions, tools=tools)
    except BadgeIssuerError as exc:
        return exc
    signed = sign_prepared(prepared, tools=tools)
    prepared.record.credential_json = stored_json(signed)
    return Made(prepared.record, prepared.positions, signed)


@runtime_checkable
class Background(Protocol):
    """A ``Signing`` that can make a batch's awards while its caller goes on (``PoolSigning``)."""

    @property
    def in_background(self) -> bool: ...

    def begin(
        self, services: Services, ready: Sequence[Ready]
    ) -> Callable[[], list[Made | BadgeIssuerError]]:
        """Start making the awards; what is returned waits for them (in order)."""
        ...


def in_background(signing: Signing) -> TypeGuard[Background]:
    """Whether ``signing`` makes a batch's awards while its caller goes on (a running
    ``PoolSigning``); any other makes them in ``begin_rows`` itself."""
    return isinstance(signing, Background) and signing.in_background


@dataclass(frozen=True)
class Begun:
    """A batch whose database work is done up to the signing, and whose awards are being made."""

    rows: Sequence[RowIn]
    commands: list[tuple[RowIn, IssueCommand]]
    outcomes: dict[int, RowOut]
    ready: list[tuple[RowIn, Ready]]
    #: the awards of ``ready``, in order, once made (waits for them)
    results: Callable[[], list[Made | BadgeIssuerError]]


def issue_rows(
    services: Services,
    spec: ChunkSpec,
    rows: Sequence[RowIn],
    *,
    signing: Signing = sign_here,
    on_store: Callable[[Session, list[RowOut]], None] | None = None,
) -> list[RowOut]:
    """Award ``rows`` (one badge class); every row gets an outcome, in order."""
    return end_rows(services, spec, begin_rows(services, spec, rows, signing=signing), on_store=on_store)


def begin_rows(
    services: Services, spec: ChunkSpec, rows: Sequence[RowIn], *, signing: Signing = sign_here
) -> Begun:
    """Steps (1) and the start of (2): a ``Signing`` working ``in_background`` (``PoolSigning``)
    makes the awards in its processes while the caller goes on, say to store the batch before
    (``end_rows``); any other makes them here."""
    outcomes: dict[int, RowOut] = {}
    commands: list[tuple[RowIn, IssueCommand]] = []
    for row in rows:
        try:
            commands.append((row, _command(spec, row)))
        except BadgeIssuerError as exc:
            outcomes[row.ref] = RowOut(row.ref, "rejected", error=exc)
    ready = _prepare(services, spec, commands, outcomes)
    awards = [one for _, one in ready]
    if in_background(signing) and awards:
        results: Callable[[], list[Made | BadgeIssuerError]] = signing.begin(services, awards)
    else:
        made = signing(services, awards) if awards else []
        results = lambda: made  # noqa: E731 - made already
    return Begun(rows, commands, outcomes, ready, results)


def end_rows(
    services: Services,
    spec: ChunkSpec,
    begun: Begun,
    *,
    on_store: Callable[[Session, list[RowOut]], None] | None = None,
    tell: bool = True,
) -> list[RowOut]:
    """The rest of (2) and step (3): waits for the batch's awards, stores them; every row's outcome.
    ``tell``: count, audit and e-mail the awards too (else the caller does, once they are safe)."""
    outcomes, rows = begun.outcomes, begun.rows
    made: list[tuple[RowIn, Made]] = []
    unbuilt: list[str] = []  # the keys of rows whose build failed, released when the chunk is stored
    for (row, one), result in zip(begun.ready, begun.results(), strict=True):
        if isinstance(result, Made):
            made.append((row, result))
            continue
        outcomes[row.ref] = RowOut(row.ref, "rejected", error=result)
        if one.command.idempotency_key is not None:
            unbuilt.append(one.command.idempotency_key)
    _store(services, spec, made, unbuilt, outcomes, rows, on_store)
    if tell:
        by_ref = {row.ref: command for row, command in begun.commands}
        _tell(services, [(outcomes[row.ref], by_ref.get(row.ref)) for row in rows])
    return [outcomes[row.ref] for row in rows]


def issue_commands(
    services: Services, spec: ChunkSpec, commands: Sequence[IssueCommand]
) -> list[RowOut] | None:
    """``issue_rows`` for awards already made into commands (concurrent single awards, grouped by
    ``award_groups``), built and signed in this process; each award's request tells its own
    (``issuing.tell_issued``), none is told here.

    None when the batch failed before any award could be stored: its keys released (its positions
    stay burnt), each award may then be issued alone. An error while the awards were being stored
    is raised: some may be stored (their keys released with them), the others' keys are released."""
    rows = [RowIn(index, index, {}, command.idempotency_key) for index, command in enumerate(commands)]
    pairs = list(zip(rows, commands, strict=True))
    outcomes: dict[int, RowOut] = {}
    ready: list[tuple[RowIn, Ready]] = []
    try:
        ready = _prepare(services, spec, pairs, outcomes)
        made = sign_here(services, [one for _, one in ready])
    except Exception:
        log.warning("a group of %d awards failed before it was stored", len(commands), exc_info=True)
        _release_ready(services, spec, ready)
        return None
    try:
        end_rows(services, spec, Begun(rows, pairs, outcomes, ready, lambda: made), tell=False)
    except BaseException:
        _release_ready(services, spec, ready)
        raise
    return [outcomes[row.ref] for row in rows]


def _release_ready(services: Services, spec: ChunkSpec, ready: Sequence[tuple[RowIn, Ready]]) -> None:
    """Release the keys ``_prepare`` reserved for ``ready`` (a key stored with its award is gone
    already: nothing to release)."""
    keys = [key for _, one in ready if (key := one.command.idempotency_key) is not None]
    if keys:
        with services.sessions() as session, session.begin():
            _release(session, spec, keys)


def _command(spec: ChunkSpec, row: RowIn) -> IssueCommand:
    return issue_command(
        issuer=spec.issuer,
        achievement=spec.achievement,
        request=parse_item(row.item, row.number),
        client_id=spec.client_id,
        idempotency_key=row.key if spec.client_id is not None else None,
        scope=spec.scope,
    )


def _prepare(
    services: Services,
    spec: ChunkSpec,
    commands: list[tuple[RowIn, IssueCommand]],
    outcomes: dict[int, RowOut],
) -> list[tuple[RowIn, Ready]]:
    """The first transaction: replays, then keys reserved and positions taken."""
    keys = [command.idempotency_key for _, command in commands if command.idempotency_key is not None]
    seen: set[str] = set()
    fresh: list[tuple[RowIn, IssueCommand]] = []
    with services.sessions() as session, session.begin():
        earlier = JobRepository(session).awards_by_key(spec.client_id, keys) if spec.client_id else {}
        for row, command in commands:
            key = command.idempotency_key
            if key is not None and key in earlier:
                try:
                    outcomes[row.ref] = RowOut(
                        row.ref, "replayed", issued=replay(earlier[key], command.request_hash)
                    )
                except BadgeIssuerError as exc:
                    outcomes[row.ref] = RowOut(row.ref, "rejected", error=exc)
            elif key is not None and key in seen:  # a twin row of this batch: replayed on the next pass
                outcomes[row.ref] = RowOut(row.ref, "pending")
            else:
                if key is not None:
                    seen.add(key)
                fresh.append((row, command))
        results = prepare_many(session, services, [command for _, command in fresh])
    prepared: list[tuple[RowIn, Ready]] = []
    for (row, _), result in zip(fresh, results, strict=True):
        if isinstance(result, Ready):
            prepared.append((row, result))
        elif isinstance(result, BadgeIssuerError):
            outcomes[row.ref] = RowOut(row.ref, "rejected", error=result)
        else:  # its key is held by a request in flight
            outcomes[row.ref] = RowOut(row.ref, "pending")
    return prepared


def _store(
    services: Services,
    spec: ChunkSpec,
    made: list[tuple[RowIn, Made]],
    unbuilt: list[str],
    outcomes: dict[int, RowOut],
    rows: Sequence[RowIn],
    on_store: Callable[[Session, list[RowOut]], None] | None,
) -> None:
    """The second transaction: every record at once; row by row only if a twin stored first. The
    keys of rows whose build failed (``unbuilt``) are released with the outcomes."""
    try:
        with services.sessions() as session, session.begin():
            insert_many(session, [one.record for _, one in made])  # one INSERT (executemany)
            _finish(session, services, spec, made, outcomes)
            _release(session, spec, unbuilt)
            if on_store is not None:
                on_store(session, [outcomes[row.ref] for row in rows])
    except IntegrityError:  # a request under one of the keys stored first: store one by one
        for row, one in made:
            _store_one(services, spec, row, one, outcomes)
        with services.sessions() as session, session.begin():
            _release(session, spec, unbuilt)
            if on_store is not None:
                on_store(session, [outcomes[row.ref] for row in rows])


def _release(session: Session, spec: ChunkSpec, keys: list[str]) -> None:
    if keys and spec.client_id is not None:
        JobRepository(session).release_keys(spec.client_id, keys)


def _finish(
    session: Session,
    services: Services,
    spec: ChunkSpec,
    made: list[tuple[RowIn, Made]],
    outcomes: dict[int, RowOut],
) -> None:
    BulkRepository(session).attach(
        [(list_id, position, one.record.id) for _, one in made for list_id, position in one.positions]
    )
    insert_many(session, [_claim(services, one.record) for _, one in made])
    for row, one in made:
        outcomes[row.ref] = RowOut(
            row.ref, "created", issued=IssuedBadge(one.record, one.credential, replayed=False)
        )
    _release(session, spec, [key for _, one in made if (key := one.record.idempotency_key) is not None])


def _claim(services: Services, record: Credential) -> Claim:
    """The claim every award gets (``claiming.open_claim`` for a record just made: none exists)."""
    token = secrets.claim_token(services.issuance.recipient_pepper, record.id)
    return Claim(
        credential_id=record.id,
        token_hash=secrets.digest(token),
        expires_at=record.created_at + timedelta(days=services.settings.claim_ttl_days),
        created_at=record.created_at,
    )


def _store_one(
    services: Services,
    spec: ChunkSpec,
    row: RowIn,
    one: Made,
    outcomes: dict[int, RowOut],
) -> None:
    try:
        with services.sessions() as session, session.begin():
            insert_many(session, [one.record])
            _finish(session, services, spec, [(row, one)], outcomes)
        return
    except IntegrityError:
        pass
    key = one.record.idempotency_key
    with services.sessions() as session, session.begin():
        jobs = JobRepository(session)
        found = jobs.awards_by_key(spec.client_id, [key]) if spec.client_id and key else {}
        if spec.client_id is not None and key is not None:
            jobs.release_keys(spec.client_id, [key])
    if key is None or key not in found:  # pragma: no cover - only a twin under the key inserts first
        outcomes[row.ref] = RowOut(row.ref, "pending")  # its position is burnt; the next pass issues it
        return
    try:
        outcomes[row.ref] = RowOut(
            row.ref, "replayed", issued=replay(found[key], one.record.request_hash or "")
        )
    except BadgeIssuerError as exc:
        outcomes[row.ref] = RowOut(row.ref, "rejected", error=exc)


def _tell(services: Services, outcomes: list[tuple[RowOut, IssueCommand | None]]) -> None:
    """Metrics, audit and claim e-mails of the awards made or replayed, as an award alone tells them
    (``issuing.tell_issued``), once they are stored."""
    for outcome, command in outcomes:
        if outcome.issued is not None and command is not None:
            tell_issued(services, command, outcome.issued)
