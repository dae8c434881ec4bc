"""The database work of a batch of awards, a statement per step instead of one per award: status
positions taken together, Idempotency-Keys reserved together, positions attached together.

Same rules as ``StatusRepository.allocate`` and ``ReservationRepository.take`` (which this falls
back to whenever the batch cannot be done at once): positions are uniform random among the unused
ones of the issuer's newest list, whose row is locked while they are taken; ``(list_id, position)``
and ``(client_id, idempotency_key)`` are unique, so a concurrent writer can never be handed the same
position or key. Never commits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badge_issuer.db.reservations import LEASE, Reservation, ReservationRepository
from badge_issuer.db.status import FILL_LIMIT, StatusRepository
from badge_issuer.db.tables import IdempotencyReservation, StatusEntry, StatusList
from badge_issuer.errors import IdempotencyConflict


class BulkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def allocate(
        self, issuer_id: int, purpose: str, count: int, *, size: int, now: datetime, rng: random.Random
    ) -> list[tuple[StatusList, int]]:
        """``count`` positions, each a list and a random position no credential has had, now taken."""
        statuses = StatusRepository(self.session)
        newest = (
            self.session.scalars(
                select(StatusList)
                .where(StatusList.issuer_id == issuer_id, StatusList.purpose == purpose)
                .order_by(StatusList.sequence.desc())
                .limit(1)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            if count
            else None
        )
        if newest is None or newest.allocated + count > newest.size * FILL_LIMIT:
            # the list fills up with this batch (or there is none yet): one at a time, as usual
            return [statuses.allocate(issuer_id, purpose, size=size, now=now, rng=rng) for _ in range(count)]
        chosen: set[int] = set()
        while len(chosen) < count:
            draws = {rng.randrange(newest.size) for _ in range(count - len(chosen))} - chosen
            taken = set(
                self.session.scalars(
                    select(StatusEntry.position).where(
                        StatusEntry.list_id == newest.id, StatusEntry.position.in_(draws)
                    )
                )
            )
            chosen |= draws - taken
        positions = list(chosen)
        rng.shuffle(positions)  # a set of ints iterates in about numeric order: none to be read from them
        entries = cast(Table, StatusEntry.__table__)
        self.session.execute(
            insert(entries),
            [{"list_id": newest.id, "position": position, "credential_id": None} for position in positions],
        )
        newest.allocated += count
        self.session.flush()
        return [(newest, position) for position in positions]

    def attach(self, attachments: Sequence[tuple[int, int, str]]) -> None:
        """(list id, position, credential id) for many positions at once (executemany)."""
        if not attachments:
            return
        entries = cast(Table, StatusEntry.__table__)
        self.session.execute(
            update(entries)
            .where(entries.c.list_id == bindparam("at_list"), entries.c.position == bindparam("at_position"))
            .values(credential_id=bindparam("at_credential")),
            [
                {"at_list": list_id, "at_position": position, "at_credential": credential}
                for list_id, position, credential in attachments
            ],
        )

    def reserve(
        self, client_id: int, wanted: Sequence[tuple[str, str]], *, now: datetime
    ) -> dict[str, Reservation | IdempotencyConflict]:
        """Reserve each (key, request hash): TAKEN, IN_FLIGHT (another request holds it) or the
        conflict of a key held for another request."""
        if not wanted:
            return {}
        keys = [key for key, _ in wanted]
        held = {
            row.idempotency_key: row
            for row in self.session.scalars(
                select(IdempotencyReservation)
                .where(IdempotencyReservation.client_id == client_id)
                .where(IdempotencyReservation.idempotency_key.in_(keys))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        answers: dict[str, Reservation | IdempotencyConflict] = {}
        fresh: list[tuple[str, str]] = []
        for key, request_hash in wanted:
            row = held.get(key)
            if row is None:
                fresh.append((key, request_hash))
            elif row.request_hash != request_hash:
                answers[key] = IdempotencyConflict(
                    "this Idempotency-Key is in use by a different request; use a new key for a new award",
                    pointer="Idempotency-Key",
                )
            elif now - row.taken_at < LEASE:
                answers[key] = Reservation.IN_FLIGHT
            else:  # its holder died between its two transactions: take it over
                row.taken_at = now
                answers[key] = Reservation.TAKEN
        if fresh:
            table = cast(Table, IdempotencyReservation.__table__)
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        insert(table),
                        [
                            {"client_id": client_id, "idempotency_key": k, "request_hash": h, "taken_at": now}
                            for k, h in fresh
                        ],
                    )
                answers.update(dict.fromkeys((key for key, _ in fresh), Reservation.TAKEN))
            except IntegrityError:  # a twin reserved one of them meanwhile: one by one
                single = ReservationRepository(self.session)
                for key, request_hash in fresh:
                    try:
                        answers[key] = single.take(client_id, key, request_hash, now=now)
                    except IdempotencyConflict as exc:
                        answers[key] = exc
        return answers
