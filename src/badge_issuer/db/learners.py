"""Learner sign-ins (one-time codes) and browser sessions, stored as hashes. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from badge_issuer.db.tables import LearnerSession, LearnerSignIn


class LearnerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: LearnerSignIn | LearnerSession) -> None:
        self.session.add(row)
        self.session.flush()

    def sign_ins_since(self, learner: str, since: datetime) -> int:
        query = select(func.count()).where(
            LearnerSignIn.learner == learner, LearnerSignIn.created_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def sign_in(self, id_hash: str) -> LearnerSignIn | None:
        query = select(LearnerSignIn).where(LearnerSignIn.id_hash == id_hash).with_for_update()
        return self.session.scalar(query)

    def browser_session(self, token_hash: str) -> LearnerSession | None:
        return self.session.get(LearnerSession, token_hash)

    def prune(self, now: datetime, *, keep: timedelta) -> None:
        """Forget sign-ins and sessions that ended more than ``keep`` ago."""
        self.session.execute(delete(LearnerSignIn).where(LearnerSignIn.expires_at < now - keep))
        self.session.execute(delete(LearnerSession).where(LearnerSession.expires_at < now - keep))

    def end(self, row: LearnerSession) -> None:
        self.session.delete(row)
        self.session.flush()
