"""Idempotency-Keys whose award is being signed: reserved in one short transaction, released in
the one that stores the award (or when signing failed). Never commits.

A reservation older than the lease belongs to a process that died between the two transactions
(signing takes milliseconds); a retry takes it over. Should the first process still be alive and
store its award after all, the unique ``(client_id, idempotency_key)`` of the records stops the
second award, which then replays the first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from badge_issuer.db.statements import execute, insert_if_absent
from badge_issuer.db.tables import IdempotencyReservation
from badge_issuer.errors import IdempotencyConflict

#: how long a reservation protects an award in flight before a retry may take it over
LEASE = timedelta(seconds=30)
_TABLE = cast(Table, IdempotencyReservation.__table__)
_RELEASE = delete(_TABLE).where(
    _TABLE.c.client_id == bindparam("at_client"), _TABLE.c.idempotency_key == bindparam("at_key")
)


class Reservation(Enum):
    TAKEN = "taken"  # this caller signs the award
    IN_FLIGHT = "in-flight"  # another request with this key is signing it now


class ReservationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def take(self, client_id: int, key: str, request_hash: str, *, now: datetime) -> Reservation:
        """Reserve ``key`` for this request; a reservation of another request is a conflict."""
        values = {
            "client_id": client_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            "taken_at": now,
        }
        if insert_if_absent(self.session, _TABLE, values, ("client_id", "idempotency_key")):
            return Reservation.TAKEN  # the usual case: one statement
        held = self.session.scalar(
            select(IdempotencyReservation)
            .where(IdempotencyReservation.client_id == client_id)
            .where(IdempotencyReservation.idempotency_key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if held is None:  # its twin stored its award and released the key meanwhile
            return Reservation.IN_FLIGHT
        if held.request_hash != request_hash:
            raise IdempotencyConflict(
                "this Idempotency-Key is in use by a different request; use a new key for a new award",
                pointer="Idempotency-Key",
            )
        if now - held.taken_at < LEASE:
            return Reservation.IN_FLIGHT
        held.taken_at = now  # its holder died between its two transactions: take it over
        return Reservation.TAKEN

    def release(self, client_id: int, key: str) -> None:
        # a Core DELETE built once: the ORM's bulk path, and building it, cost more than the statement
        execute(self.session, _RELEASE, {"at_client": client_id, "at_key": key})

    def held(self, client_id: int, key: str) -> bool:
        query = select(IdempotencyReservation.id).where(
            IdempotencyReservation.client_id == client_id, IdempotencyReservation.idempotency_key == key
        )
        return self.session.scalar(query) is not None
