"""Bitstring Status Lists in the database: random, never-reused positions; bits set on revocation.

Positions are drawn uniformly at random from the unused ones of the issuer's newest list for that
purpose, so an observer of the published list cannot tell issuance order or correlate learners.
A new list is opened once ``FILL_LIMIT`` of a list is allocated (before it fills). The newest list
row is locked (by the UPDATE counting the position, or ``SELECT … FOR UPDATE`` before a new list is
opened, on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers) and ``(list_id, position)``
is unique, so two transactions never get the same position.
A position is taken (its entry written, without a credential) before the award is signed and
attached to the credential once it is stored, possibly in a later transaction. Never commits.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Integer, Table, bindparam, func, select, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from badge_issuer.db.statements import as_loaded, execute, insert_if_absent
from badge_issuer.db.tables import Issuer, StatusEntry, StatusList
from badge_issuer.errors import NotFound
from badge_issuer.status_list import Bitstring

if TYPE_CHECKING:
    from sqlalchemy import Connection

#: share of a list's positions handed out before the next list is opened
FILL_LIMIT = 0.75
PURPOSES = ("revocation", "suspension")
_ENTRIES = cast(Table, StatusEntry.__table__)
_LISTS = cast(Table, StatusList.__table__)
_ISSUERS = cast(Table, Issuer.__table__)
#: what an allocation reads of its list (the award names the list by purpose and sequence)
_SLOT = ("id", "issuer_id", "purpose", "sequence", "size", "allocated")


# built once: every award takes a position (building a statement costs more than running it)
# without the bits and the signed list (tens of kB, which allocating needs neither of: #11)
_NEWEST = (
    select(StatusList)
    .options(defer(StatusList.bits), defer(StatusList.signed_json))
    .where(StatusList.issuer_id == bindparam("of_issuer"), StatusList.purpose == bindparam("of_purpose"))
    .order_by(StatusList.sequence.desc())
    .limit(1)
)
# populate_existing: a row already in this session's identity map must be refreshed with the locked
# (latest committed) values, or we would update it from a stale read
_NEWEST_LOCKED = _NEWEST.with_for_update().execution_options(populate_existing=True)
# the usual allocation's first statement: the newest list, when it has room, counted one position
# (or a batch's positions) more and so locked (PostgreSQL's row lock; SQLite's BEGIN IMMEDIATE),
# as one UPDATE … RETURNING
# instead of a locking SELECT and an UPDATE. At READ COMMITTED the room is checked again on the
# row's latest version once a writer we waited for has committed; the newest list's id is read
# from our snapshot, which is safe because a list is replaced only once it has no room (#11)
_NEWEST_ID = _NEWEST.with_only_columns(StatusList.id).scalar_subquery()
_COUNT_IF_ROOM = (
    update(_LISTS)
    .where(
        _LISTS.c.id == _NEWEST_ID,
        _LISTS.c.allocated + bindparam("count", type_=Integer) <= _LISTS.c.size * FILL_LIMIT,
    )
    .values(allocated=_LISTS.c.allocated + bindparam("count", type_=Integer))
    .returning(*(_LISTS.c[name] for name in _SLOT))
)
_COUNT_ONE_MORE = (
    update(_LISTS).where(_LISTS.c.id == bindparam("at_list")).values(allocated=_LISTS.c.allocated + 1)
)
_ATTACH = (
    update(_ENTRIES)
    .where(_ENTRIES.c.list_id == bindparam("at_list"), _ENTRIES.c.position == bindparam("at_position"))
    .values(credential_id=bindparam("record_id"))
)


class StatusRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _newest(self, issuer_id: int, purpose: str, *, lock: bool) -> StatusList | None:
        query = _NEWEST_LOCKED if lock else _NEWEST
        return self.session.scalar(query, {"of_issuer": issuer_id, "of_purpose": purpose})

    def open_list(self, issuer_id: int, purpose: str, *, size: int, now: datetime) -> StatusList:
        """Create the issuer's next list for ``purpose`` (all bits 0)."""
        newest = self._newest(issuer_id, purpose, lock=False)
        status_list = StatusList(
            issuer_id=issuer_id,
            purpose=purpose,
            sequence=(newest.sequence + 1) if newest else 1,
            size=size,
            allocated=0,
            bits=Bitstring(size).to_bytes(),
            revision=0,
            signed_revision=-1,
            updated_at=now,
        )
        self.session.add(status_list)
        self.session.flush()
        return status_list

    def allocate(
        self, issuer_id: int, purpose: str, *, size: int, now: datetime, rng: random.Random
    ) -> tuple[StatusList, int]:
        """A locked list and a random position on it that no credential has had, now taken."""
        status_list = self.count_on_newest(issuer_id, purpose, 1)
        if status_list is None:  # no list yet, or the newest has no room left
            status_list = self._count_one_on_a_list_with_room(issuer_id, purpose, size=size, now=now)
        while True:  # a position drawn before (by a credential, or burnt) is drawn again
            position = rng.randrange(status_list.size)
            values = {"list_id": status_list.id, "position": position, "credential_id": None}
            if insert_if_absent(self.session, _ENTRIES, values, ("list_id", "position")):
                return status_list, position

    def count_on_newest(self, issuer_id: int, purpose: str, count: int) -> StatusList | None:
        """The issuer's newest list for ``purpose``, counted ``count`` positions more and so locked,
        if it has room for them (see ``_COUNT_IF_ROOM``); None if there is no list or no room."""
        parameters = {"of_issuer": issuer_id, "of_purpose": purpose, "count": count}
        row = execute(self.session, _COUNT_IF_ROOM, parameters).first()
        return None if row is None else as_loaded(StatusList, dict(zip(_SLOT, row, strict=True)))

    def _count_one_on_a_list_with_room(
        self, issuer_id: int, purpose: str, *, size: int, now: datetime
    ) -> StatusList:
        """The newest list, locked and counted one position more; a new one when it has no room.

        A statement reads what committed before it began, and the lock it waits for may be granted
        after: so the locked list may be one a writer we waited for replaced meanwhile, and the
        newest is read again until a read made with the lock held finds the list we hold. Only
        then is the next one opened, by the one writer holding the full newest list (with one
        read more only, on PostgreSQL a writer that had waited behind the newest list opened one
        next to a list just opened, half full, or the same sequence twice: a failed award)."""
        status_list = self._newest(issuer_id, purpose, lock=True)
        while status_list is not None and status_list.allocated >= status_list.size * FILL_LIMIT:
            newest = self._newest(issuer_id, purpose, lock=True)
            if newest is None or newest.id == status_list.id:
                break
            status_list = newest
        if status_list is None or status_list.allocated >= status_list.size * FILL_LIMIT:
            status_list = self.open_list(issuer_id, purpose, size=size, now=now)
        # a Core statement (the ORM's unit of work cost more); the row is locked, so the count
        # read with it stays true
        execute(self.session, _COUNT_ONE_MORE, {"at_list": status_list.id})
        set_committed_value(status_list, "allocated", status_list.allocated + 1)
        return status_list

    def attach(self, list_id: int, position: int, credential_id: str) -> None:
        """Give a position taken by ``allocate`` (in this or an earlier transaction) its credential."""
        # a Core UPDATE, built once: the ORM's bulk path cost 0.6 ms a call
        execute(
            self.session, _ATTACH, {"at_list": list_id, "at_position": position, "record_id": credential_id}
        )

    def entries(self, credential_id: str) -> list[tuple[StatusList, int]]:
        query = (
            select(StatusList, StatusEntry.position)
            .join(StatusEntry, StatusEntry.list_id == StatusList.id)
            .where(StatusEntry.credential_id == credential_id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def get(self, issuer_id: int, purpose: str, sequence: int, *, lock: bool = False) -> StatusList:
        query = select(StatusList).where(
            StatusList.issuer_id == issuer_id, StatusList.purpose == purpose, StatusList.sequence == sequence
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        status_list = self.session.scalar(query)
        if status_list is None:
            raise NotFound(f"no {purpose} status list {sequence}")
        return status_list

    def set_bit(self, status_list: StatusList, position: int, value: bool, now: datetime) -> bool:
        """Set one position; returns whether anything changed (the list is then re-signed on demand)."""
        bits = Bitstring.from_bytes(status_list.bits)
        if bits.get(position) == value:
            return False
        bits.set(position, value)
        status_list.bits = bits.to_bytes()
        status_list.revision += 1
        status_list.updated_at = now
        return True

    def count(self, issuer_id: int) -> int:
        query = select(func.count()).select_from(StatusList).where(StatusList.issuer_id == issuer_id)
        return int(self.session.scalar(query) or 0)


# built once, on the tables (no ORM entities, not the bits): it runs on every verification of our
# own badges
_PUBLISHED = (
    select(_LISTS.c.revision, _LISTS.c.signed_revision, _LISTS.c.signed_json)
    .select_from(_LISTS.join(_ISSUERS, _ISSUERS.c.id == _LISTS.c.issuer_id))
    .where(
        _ISSUERS.c.slug == bindparam("slug"),
        _LISTS.c.purpose == bindparam("purpose"),
        _LISTS.c.sequence == bindparam("sequence"),
    )
)


def signed_list(connection: Connection, slug: str, purpose: str, sequence: int) -> str | None:
    """The signed list credential (JSON) of issuer ``slug``'s list, when it is signed at the list's
    current revision; None when there is no such list, or when it must be (re-)signed first."""
    row = connection.execute(_PUBLISHED, {"slug": slug, "purpose": purpose, "sequence": sequence}).first()
    if row is None or row.signed_json is None or row.signed_revision != row.revision:
        return None
    return cast(str, row.signed_json)
