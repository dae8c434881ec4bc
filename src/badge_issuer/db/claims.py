"""Claims, their OpenID4VCI offers, wallet nonces and deliveries. Never commits.

Single use is decided by the database, not by a read followed by a write: redeeming a code,
spending a nonce and counting a wrong transaction code are each one conditional UPDATE/DELETE whose
row count says whether this request won (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from badge_issuer.db.statements import insert_new
from badge_issuer.db.tables import Claim, ClaimExchange, ClaimOffer, Credential, Delivery, WalletNonce


class ClaimRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, claim: Claim) -> None:
        """Insert a claim its caller needs no id of (one Core INSERT; the object stays outside the
        session): an award's own claim, which no claim of its credential can precede."""
        insert_new(self.session, claim)

    def by_token_hash(self, token_hash: str) -> tuple[Claim, Credential] | None:
        query = (
            select(Claim, Credential)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(Claim.token_hash == token_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1])

    def add_offer(self, offer: ClaimOffer) -> None:
        self.session.add(offer)
        self.session.flush()

    def offer_by_reference(self, reference_hash: str) -> tuple[ClaimOffer, Claim, Credential] | None:
        query = (
            select(ClaimOffer, Claim, Credential)
            .join(Claim, Claim.id == ClaimOffer.claim_id)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(ClaimOffer.reference_hash == reference_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])

    def offer_by_code(self, code_hash: str) -> tuple[ClaimOffer, Claim, Credential] | None:
        query = (
            select(ClaimOffer, Claim, Credential)
            .join(Claim, Claim.id == ClaimOffer.claim_id)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(ClaimOffer.code_hash == code_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])

    def count_failure(self, offer_id: int) -> int:
        """One more wrong transaction code for the offer; how many it has now."""
        self.session.execute(
            update(ClaimOffer)
            .where(ClaimOffer.id == offer_id)
            .values(failed_attempts=ClaimOffer.failed_attempts + 1)
        )
        return int(
            self.session.scalar(select(ClaimOffer.failed_attempts).where(ClaimOffer.id == offer_id)) or 0
        )

    def redeem(self, offer_id: int, *, now: datetime, token_hash: str, token_expires: datetime) -> bool:
        """Mark the offer redeemed with its access token, unless it was already (or has expired)."""
        result = self.session.execute(
            update(ClaimOffer)
            .where(
                ClaimOffer.id == offer_id,
                ClaimOffer.redeemed_at.is_(None),
                ClaimOffer.expires_at > now,
            )
            .values(redeemed_at=now, access_token_hash=token_hash, access_expires_at=token_expires)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def by_access_token(self, token_hash: str) -> tuple[ClaimOffer, Claim, Credential] | None:
        query = (
            select(ClaimOffer, Claim, Credential)
            .join(Claim, Claim.id == ClaimOffer.claim_id)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(ClaimOffer.access_token_hash == token_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])

    def forget_expired_offers(self, claim_id: int, now: datetime) -> None:
        self.session.execute(
            delete(ClaimOffer).where(
                ClaimOffer.claim_id == claim_id,
                ClaimOffer.expires_at <= now,
                ClaimOffer.redeemed_at.is_(None),
            )
        )

    def open_offers(self, claim_id: int, now: datetime) -> int:
        query = select(ClaimOffer.id).where(
            ClaimOffer.claim_id == claim_id, ClaimOffer.expires_at > now, ClaimOffer.redeemed_at.is_(None)
        )
        return len(list(self.session.scalars(query)))

    def add_nonce(self, nonce_hash: str, expires_at: datetime, now: datetime) -> None:
        self.session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
        self.session.add(WalletNonce(nonce_hash=nonce_hash, expires_at=expires_at))
        self.session.flush()

    def spend_nonce(self, nonce_hash: str, now: datetime) -> bool:
        """Whether the nonce was ours and fresh; it can never be spent again either way."""
        result = self.session.execute(
            delete(WalletNonce).where(WalletNonce.nonce_hash == nonce_hash, WalletNonce.expires_at > now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def delivery(self, credential_id: str, holder_hash: str) -> Delivery | None:
        query = select(Delivery).where(
            Delivery.credential_id == credential_id, Delivery.holder_hash == holder_hash
        )
        return self.session.scalar(query)

    def add_delivery(self, delivery: Delivery) -> None:
        self.session.add(delivery)
        self.session.flush()

    def add_exchange(self, exchange: ClaimExchange) -> None:
        self.session.add(exchange)
        self.session.flush()

    def exchange(self, exchange_hash: str) -> tuple[ClaimExchange, Claim, Credential] | None:
        query = (
            select(ClaimExchange, Claim, Credential)
            .join(Claim, Claim.id == ClaimExchange.claim_id)
            .join(Credential, Credential.id == Claim.credential_id)
            .where(ClaimExchange.exchange_hash == exchange_hash)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])

    def complete_exchange(self, exchange_id: int, *, holder_did: str, now: datetime) -> bool:
        """Complete the exchange for ``holder_did`` unless it already completed (or expired)."""
        result = self.session.execute(
            update(ClaimExchange)
            .where(
                ClaimExchange.id == exchange_id,
                ClaimExchange.completed_at.is_(None),
                ClaimExchange.expires_at > now,
            )
            .values(completed_at=now, holder_did=holder_did)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def open_exchanges(self, claim_id: int, now: datetime) -> int:
        """Exchanges of the claim still waiting for a wallet; expired ones are forgotten first."""
        self.session.execute(
            delete(ClaimExchange).where(
                ClaimExchange.claim_id == claim_id,
                ClaimExchange.expires_at <= now,
                ClaimExchange.completed_at.is_(None),
            )
        )
        query = select(ClaimExchange.id).where(
            ClaimExchange.claim_id == claim_id,
            ClaimExchange.expires_at > now,
            ClaimExchange.completed_at.is_(None),
        )
        return len(list(self.session.scalars(query)))
