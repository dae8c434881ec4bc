"""A learner's credentials (issued here, and stored by their wallets) and profile. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from badge_issuer.db.tables import Credential, LearnerCredential, LearnerProfile

#: a record issued here (``credentials``) or a credential a wallet stored (``learner_credentials``)
ISSUED = "issued"
HELD = "held"


@dataclass(frozen=True)
class Held:
    """One of a learner's credentials: where it is kept, and its text (JSON or a compact JWS)."""

    source: str
    format: str
    body: str


class LearnerRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _keys(self, learner: str, since: datetime | None) -> Select[tuple[datetime, str, str]]:
        issued = select(
            Credential.created_at.label("at"), literal(ISSUED).label("source"), Credential.id.label("key")
        ).where(Credential.recipient_hash == learner, Credential.status == "active")
        held = select(
            LearnerCredential.issued_at.label("at"),
            literal(HELD).label("source"),
            LearnerCredential.id.label("key"),
        ).where(LearnerCredential.learner == learner)
        if since is not None:
            issued = issued.where(Credential.created_at > since)
            held = held.where(LearnerCredential.issued_at > since)
        return union_all(issued, held)  # type: ignore[return-value]

    def page(
        self, learner: str, since: datetime | None, *, offset: int, limit: int
    ) -> tuple[int, list[Held]]:
        """The total and one page of the learner's credentials, oldest first."""
        keys = self._keys(learner, since).subquery()
        total = int(self.session.scalar(select(func.count()).select_from(keys)) or 0)
        rows = self.session.execute(
            select(keys.c.source, keys.c.key)
            .order_by(keys.c.at, keys.c.source, keys.c.key)
            .offset(offset)
            .limit(limit)
        ).all()
        issued_ids = [key for source, key in rows if source == ISSUED]
        held_ids = [key for source, key in rows if source == HELD]
        bodies: dict[tuple[str, str], Held] = {}
        if issued_ids:
            for record in self.session.scalars(select(Credential).where(Credential.id.in_(issued_ids))):
                bodies[(ISSUED, record.id)] = Held(ISSUED, "json", record.credential_json)
        if held_ids:
            for stored in self.session.scalars(
                select(LearnerCredential).where(LearnerCredential.id.in_(held_ids))
            ):
                bodies[(HELD, stored.id)] = Held(HELD, stored.format, stored.body)
        return total, [bodies[(source, key)] for source, key in rows]

    def held(self, learner: str, issuer_key: str, credential_key: str) -> LearnerCredential | None:
        query = (
            select(LearnerCredential)
            .where(
                LearnerCredential.learner == learner,
                LearnerCredential.issuer_key == issuer_key,
                LearnerCredential.credential_key == credential_key,
            )
            .with_for_update()
        )
        return self.session.scalar(query)

    def issued_copy(self, learner: str, record_id: str | None, credential_uri: str) -> Credential | None:
        """A credential issued here to the learner, by its record id (our URL's last segment) or by
        the id the client gave it (VC-API)."""
        mine = Credential.recipient_hash == learner
        by_uri = Credential.credential_uri == credential_uri
        match = (by_uri | (Credential.id == record_id)) if record_id else by_uri
        return self.session.scalar(select(Credential).where(mine, match).limit(1))

    def add(self, row: LearnerCredential | LearnerProfile) -> None:
        self.session.add(row)
        self.session.flush()

    def profile(self, learner: str) -> LearnerProfile | None:
        return self.session.get(LearnerProfile, learner)
