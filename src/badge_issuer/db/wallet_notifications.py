"""OpenID4VCI notification ids and the events wallets report for deliveries. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from badge_issuer.db.tables import Delivery, WalletNotification


class WalletNotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notification: WalletNotification) -> None:
        self.session.add(notification)
        self.session.flush()

    def get(self, id_hash: str) -> tuple[WalletNotification, Delivery] | None:
        query = (
            select(WalletNotification, Delivery)
            .join(Delivery, Delivery.id == WalletNotification.delivery_id)
            .where(WalletNotification.id_hash == id_hash)
            .with_for_update()
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1])
