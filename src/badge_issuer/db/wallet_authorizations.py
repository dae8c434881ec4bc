"""OpenID4VCI authorization code grants and the ``issuer_state`` of offers. Never commits.

Single use is decided by conditional UPDATEs whose row count says whether this request won:
issuing a code spends its ``issuer_state``, redeeming a code marks it used (a second redemption
finds it used and voids the access token it gave).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from badge_issuer.db.tables import (
    Claim,
    ClaimCodeMail,
    Credential,
    OAuthClient,
    WalletAuthorization,
    WalletIssuerState,
    WalletPushedRequest,
)


class WalletAuthorizationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_issuer_state(self, state: WalletIssuerState) -> None:
        self.session.add(state)
        self.session.flush()

    def forget_issuer_states(self, claim_id: int, now: datetime) -> None:
        """Drop the claim's issuer_states that expired (nothing can use them any more)."""
        self.session.execute(
            delete(WalletIssuerState).where(
                WalletIssuerState.claim_id == claim_id, WalletIssuerState.expires_at <= now
            )
        )

    def code_mails_since(self, claim_id: int, since: datetime) -> int:
        """Requests to email the claim a transaction code since ``since`` (older ones are dropped).
        Locks the claim's row until the transaction ends (SQLite's ``BEGIN IMMEDIATE`` already
        serialises writers), so that the count and an ``add_code_mail`` after it are one step:
        concurrent requests for one claim wait for each other instead of all counting too few."""
        self.session.execute(select(Claim.id).where(Claim.id == claim_id).with_for_update())
        self.session.execute(
            delete(ClaimCodeMail).where(
                ClaimCodeMail.claim_id == claim_id, ClaimCodeMail.sent_at < since - timedelta(days=1)
            )
        )
        query = select(func.count(ClaimCodeMail.id)).where(
            ClaimCodeMail.claim_id == claim_id, ClaimCodeMail.sent_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def add_code_mail(self, claim_id: int, now: datetime) -> None:
        self.session.add(ClaimCodeMail(claim_id=claim_id, sent_at=now))
        self.session.flush()

    def issuer_state(self, state_hash: str) -> tuple[WalletIssuerState, Claim, Credential] | None:
        query = (
            select(WalletIssuerState, Claim, Credential)
            .join(Claim, Claim.id == WalletIssuerState.claim_id)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(WalletIssuerState.state_hash == state_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])

    def spend_issuer_state(self, state_hash: str, now: datetime) -> bool:
        result = self.session.execute(
            update(WalletIssuerState)
            .where(
                WalletIssuerState.state_hash == state_hash,
                WalletIssuerState.used_at.is_(None),
                WalletIssuerState.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def client(self, client_id: str) -> OAuthClient | None:
        return self.session.get(OAuthClient, client_id) if len(client_id) <= 64 else None

    def add(self, authorization: WalletAuthorization, now: datetime) -> None:
        """Store an authorization (and forget those no code or token of can be used any more)."""
        before = now - timedelta(days=1)
        self.session.execute(
            delete(WalletAuthorization).where(
                or_(
                    and_(WalletAuthorization.used_at.is_(None), WalletAuthorization.code_expires_at < before),
                    WalletAuthorization.access_expires_at < before,
                )
            )
        )
        self.session.add(authorization)
        self.session.flush()

    def by_code(self, code_hash: str) -> WalletAuthorization | None:
        return self.session.scalar(
            select(WalletAuthorization).where(WalletAuthorization.code_hash == code_hash)
        )

    def redeem(
        self, authorization_id: int, *, now: datetime, token_hash: str, token_expires: datetime
    ) -> bool:
        """Mark the code used with its access token, unless it was used already or has expired."""
        result = self.session.execute(
            update(WalletAuthorization)
            .where(
                WalletAuthorization.id == authorization_id,
                WalletAuthorization.used_at.is_(None),
                WalletAuthorization.code_expires_at > now,
            )
            .values(used_at=now, access_token_hash=token_hash, access_expires_at=token_expires)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def revoke(self, authorization_id: int, now: datetime) -> None:
        self.session.execute(
            update(WalletAuthorization)
            .where(WalletAuthorization.id == authorization_id, WalletAuthorization.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def by_access_token(self, token_hash: str) -> WalletAuthorization | None:
        query = select(WalletAuthorization).where(WalletAuthorization.access_token_hash == token_hash)
        return self.session.scalar(query)

    def awards_of(self, issuer_id: int, learner: str, achievement_ids: list[int]) -> list[Credential]:
        """The learner's active awards of those achievements (by the keyed recipient hash), newest first."""
        if not achievement_ids:
            return []
        query = (
            select(Credential)
            .where(
                Credential.issuer_id == issuer_id,
                Credential.recipient_hash == learner,
                Credential.achievement_id.in_(achievement_ids),
                Credential.status == "active",
            )
            .order_by(Credential.created_at.desc(), Credential.id)
            .limit(200)
        )
        return list(self.session.scalars(query))

    def live_pushed(self, client_id: str, now: datetime) -> int:
        """The client's pushed requests a ``request_uri`` can still use, after forgetting every
        one that expired or was used. Locks the client's row until the transaction ends, so that
        concurrent pushes of one wallet count each other before they add theirs."""
        self.session.execute(select(OAuthClient.id).where(OAuthClient.id == client_id).with_for_update())
        self.session.execute(
            delete(WalletPushedRequest).where(
                or_(WalletPushedRequest.expires_at <= now, WalletPushedRequest.used_at.is_not(None))
            )
        )
        query = select(func.count()).where(WalletPushedRequest.client_id == client_id)
        return int(self.session.scalar(query) or 0)

    def add_pushed(self, pushed: WalletPushedRequest) -> None:
        self.session.add(pushed)
        self.session.flush()

    def pushed(self, request_hash: str) -> WalletPushedRequest | None:
        return self.session.get(WalletPushedRequest, request_hash)

    def spend_pushed(self, request_hash: str, now: datetime) -> bool:
        result = self.session.execute(
            update(WalletPushedRequest)
            .where(
                WalletPushedRequest.request_hash == request_hash,
                WalletPushedRequest.used_at.is_(None),
                WalletPushedRequest.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
