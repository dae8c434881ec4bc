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

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from badge_issuer.db.reservations import Reservation, ReservationRepository
from badge_issuer.db.statements import execute, insert_absent
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import IdempotencyReservation, StatusEntry, StatusList
from badge_issuer.errors import IdempotencyConflict

_ENTRIES = cast(Table, StatusEntry.__table__)
_RESERVATIONS = cast(Table, IdempotencyReservation.__table__)
_ATTACH = (
    update(_ENTRIES)
    .where(_ENTRIES.c.list_id == bindparam("at_list"), _ENTRIES.c.position == bindparam("at_position"))
    .values(credential_id=bindparam("at_credential"))
)


class BulkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def allocate(
        self, issuer_id: int, purpose: str, count: int, *, size: int, now: datetime, rng: random.Random
    ) -> list[tuple[StatusList, int]]:
        """``count`` positions, each a list and a random position no credential has had, now taken."""
        if not count:
            return []
        statuses = StatusRepository(self.session)
        newest = statuses.count_on_newest(issuer_id, purpose, count)
        if newest is None:
            # the list fills up with this batch (or there is none yet): one at a time, as usual
            return [statuses.allocate(issuer_id, purpose, size=size, now=now, rng=rng) for _ in range(count)]
        positions: list[int] = []
        while len(positions) < count:  # a position drawn before (by a credential, or burnt) is drawn again
            draws = {rng.randrange(newest.size) for _ in range(count - len(positions))} - set(positions)
            entries = [
                {"list_id": newest.id, "position": position, "credential_id": None} for position in draws
            ]
            positions += insert_absent(self.session, _ENTRIES, entries, ("list_id", "position"), "position")
        rng.shuffle(positions)  # as inserted, they may come back in about numeric order: none to be read
        return [(newest, position) for position in positions]

    def attach(self, attachments: Sequence[tuple[int, int, str]]) -> None:
        """(list id, position, credential id) for many positions at once (executemany)."""
        if not attachments:
            return
        execute(
            self.session,
            _ATTACH,
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
        rows = [
            {"client_id": client_id, "idempotency_key": key, "request_hash": request_hash, "taken_at": now}
            for key, request_hash in wanted
        ]
        unique = ("client_id", "idempotency_key")
        taken = set(insert_absent(self.session, _RESERVATIONS, rows, unique, "idempotency_key"))
        answers: dict[str, Reservation | IdempotencyConflict] = dict.fromkeys(taken, Reservation.TAKEN)
        single = ReservationRepository(self.session)
        for key, request_hash in wanted:  # held by another request: as a single award takes it
            if key not in answers:
                try:
                    answers[key] = single.take(client_id, key, request_hash, now=now)
                except IdempotencyConflict as exc:
                    answers[key] = exc
        return answers
