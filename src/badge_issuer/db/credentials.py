"""Issuance records: the signed credential and what we know of its issuance. Never commits."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from badge_issuer.db.statements import execute, insert_new
from badge_issuer.db.tables import Achievement, AchievementVersion, Credential, StatusEvent
from badge_issuer.errors import InputError, NotFound


@dataclass(frozen=True)
class RecordFilter:
    achievement: str | None = None
    recipient_hash: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None


#: built once: every award looks its key up (building a statement costs more than running it)
_BY_IDEMPOTENCY_KEY = select(Credential.id).where(
    Credential.client_id == bindparam("client_id"), Credential.idempotency_key == bindparam("key")
)


class CredentialRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: Credential) -> None:
        """Insert a new record (one Core INSERT; the object stays outside the session)."""
        insert_new(self.session, record)

    def get(
        self, credential_id: str, *, issuer_id: int | None = None, for_update: bool = False
    ) -> Credential:
        query = select(Credential).where(Credential.id == credential_id)
        if issuer_id is not None:
            query = query.where(Credential.issuer_id == issuer_id)
        if for_update:
            query = query.with_for_update()
        record = self.session.scalar(query)
        if record is None:
            raise NotFound(f"no credential {credential_id!r}")
        return record

    def by_uri(self, issuer_id: int, uri: str) -> Credential | None:
        """The issuer's credential whose own id (or VC-API credentialId) is ``uri``."""
        query = select(Credential).where(Credential.issuer_id == issuer_id, Credential.credential_uri == uri)
        return self.session.scalar(query)

    def count_for_achievement(self, achievement_id: int) -> int:
        """How many credentials were awarded for the achievement (every version, any status)."""
        query = (
            select(func.count()).select_from(Credential).where(Credential.achievement_id == achievement_id)
        )
        return int(self.session.scalar(query) or 0)

    def by_idempotency_key(self, client_id: int, key: str) -> Credential | None:
        # every award asks, twice, and the answer is nearly always "none": the id is read as a row,
        # without the ORM's statement path; the entity is loaded only for a replay (#11)
        found = execute(self.session, _BY_IDEMPOTENCY_KEY, {"client_id": client_id, "key": key})
        credential_id = found.scalar()
        return None if credential_id is None else self.session.get(Credential, credential_id)

    def page(
        self, issuer_id: int, filters: RecordFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Credential], str | None]:
        """Newest first; ``cursor`` continues after the last record of the previous page."""
        query: Select[Credential] = select(Credential).where(Credential.issuer_id == issuer_id)
        if filters.achievement is not None:
            query = query.join(Achievement, Achievement.id == Credential.achievement_id).where(
                Achievement.slug == filters.achievement
            )
        if filters.recipient_hash is not None:
            query = query.where(Credential.recipient_hash == filters.recipient_hash)
        if filters.since is not None:
            query = query.where(Credential.created_at >= filters.since)
        if filters.until is not None:
            query = query.where(Credential.created_at < filters.until)
        if filters.status is not None:
            query = query.where(Credential.status == filters.status)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(
                or_(Credential.created_at < at, (Credential.created_at == at) & (Credential.id < last_id))
            )
        query = query.order_by(Credential.created_at.desc(), Credential.id.desc()).limit(limit + 1)
        rows = list(self.session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (encode_cursor(rows[-1]) if more and rows else None)

    def achievement_labels(self, records: list[Credential]) -> dict[str, tuple[str, int]]:
        """``record id → (achievement slug, version)`` for a page of records, in one query."""
        if not records:
            return {}
        query = (
            select(Credential.id, Achievement.slug, AchievementVersion.version)
            .join(Achievement, Achievement.id == Credential.achievement_id)
            .join(AchievementVersion, AchievementVersion.id == Credential.achievement_version_id)
            .where(Credential.id.in_([record.id for record in records]))
        )
        return {row[0]: (row[1], row[2]) for row in self.session.execute(query)}

    def add_event(self, event: StatusEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def events(self, credential_id: str) -> list[StatusEvent]:
        query = select(StatusEvent).where(StatusEvent.credential_id == credential_id).order_by(StatusEvent.id)
        return list(self.session.scalars(query))


def encode_cursor(record: Credential) -> str:
    raw = f"{record.created_at.isoformat()}|{record.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, last_id = raw.partition("|")
        return datetime.fromisoformat(at), last_id
    except (ValueError, UnicodeDecodeError):
        raise InputError("invalid cursor", pointer="cursor") from None
