"""OAuth clients, codes, tokens and consents (rows hold hashes, never the bearer values). Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from badge_issuer.db.tables import OAuthClient, OAuthCode, OAuthConsent, OAuthToken


class OAuthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: OAuthClient | OAuthCode | OAuthToken | OAuthConsent) -> None:
        self.session.add(row)
        self.session.flush()

    def client(self, client_id: str) -> OAuthClient | None:
        return self.session.get(OAuthClient, client_id)

    def code(self, code_hash: str) -> OAuthCode | None:
        """The code row, locked for the rest of the transaction (two redemptions cannot both win)."""
        query = select(OAuthCode).where(OAuthCode.code_hash == code_hash).with_for_update()
        return self.session.scalar(query)

    def token_by_access(self, access_hash: str) -> OAuthToken | None:
        return self.session.scalar(select(OAuthToken).where(OAuthToken.access_hash == access_hash))

    def token_by_refresh(self, refresh_hash: str) -> OAuthToken | None:
        query = select(OAuthToken).where(OAuthToken.refresh_hash == refresh_hash).with_for_update()
        return self.session.scalar(query)

    def revoke_family(self, code_hash: str, at: datetime) -> None:
        """Revoke every token issued from the code ``code_hash`` (directly or by refreshes)."""
        self.session.execute(
            update(OAuthToken)
            .where(OAuthToken.code_hash == code_hash, OAuthToken.access_revoked_at.is_(None))
            .values(access_revoked_at=at)
        )
        self.session.execute(
            update(OAuthToken)
            .where(OAuthToken.code_hash == code_hash, OAuthToken.refresh_revoked_at.is_(None))
            .values(refresh_revoked_at=at)
        )

    def revoke_grants(self, client_id: str, learner: str, at: datetime) -> None:
        """Revoke every token the learner's consent gave ``client_id``."""
        mine = (OAuthToken.client_id == client_id) & (OAuthToken.learner == learner)
        self.session.execute(
            update(OAuthToken)
            .where(mine, or_(OAuthToken.access_revoked_at.is_(None), OAuthToken.refresh_revoked_at.is_(None)))
            .values(access_revoked_at=at, refresh_revoked_at=at)
        )

    def prune(self, now: datetime, *, keep: timedelta) -> None:
        """Forget codes and tokens that expired more than ``keep`` ago (nothing can use them)."""
        before = now - keep
        self.session.execute(delete(OAuthCode).where(OAuthCode.expires_at < before))
        dead_refresh = or_(OAuthToken.refresh_expires_at.is_(None), OAuthToken.refresh_expires_at < before)
        self.session.execute(
            delete(OAuthToken).where(and_(OAuthToken.access_expires_at < before, dead_refresh))
        )

    def consent(self, client_id: str, learner: str) -> OAuthConsent | None:
        query = select(OAuthConsent).where(
            OAuthConsent.client_id == client_id, OAuthConsent.learner == learner
        )
        return self.session.scalar(query)

    def consents(self, learner: str) -> list[tuple[OAuthConsent, OAuthClient]]:
        """The learner's remembered consents with their clients, oldest first."""
        query = (
            select(OAuthConsent, OAuthClient)
            .join(OAuthClient, OAuthClient.id == OAuthConsent.client_id)
            .where(OAuthConsent.learner == learner)
            .order_by(OAuthConsent.granted_at, OAuthConsent.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def delete_consent(self, consent: OAuthConsent) -> None:
        self.session.delete(consent)
        self.session.flush()
