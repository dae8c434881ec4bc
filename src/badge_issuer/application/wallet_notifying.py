"""OpenID4VCI notification endpoint (§11): the wallet tells whether it kept a delivered credential.

Every credential response carries a fresh ``notification_id`` (stored as SHA-256) naming the
delivery and bound to the access token it was given to. The wallet posts ``credential_accepted``,
``credential_failure`` or ``credential_deleted`` with that same, still live, token; the event is
recorded on the delivery's notification (the last one told wins, and telling the same again is
answered the same way: notifications are idempotent) and written as an audit line.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.db.claims import ClaimRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import WalletNotification
from badge_issuer.db.wallet_authorizations import WalletAuthorizationRepository
from badge_issuer.db.wallet_notifications import WalletNotificationRepository
from badge_issuer.errors import WalletProtocolError
from badge_issuer.observability.logs import audit
from badge_issuer.wallet import secrets

EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
MAX_DESCRIPTION_CHARS = 1000
#: the characters event_description may hold (%x20-21 / %x23-5B / %x5D-7E)
_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def new_notification(services: Services, *, record_id: str, holder_did: str, access_token: str) -> str:
    """A notification_id for the delivery of ``record_id`` to ``holder_did`` just made."""
    notification_id = secrets.new_secret()
    with services.sessions() as session, session.begin():
        delivery = ClaimRepository(session).delivery(record_id, secrets.digest(holder_did))
        if delivery is None:  # deliver() has just stored or found it
            raise LookupError("the delivery is gone")
        WalletNotificationRepository(session).add(
            WalletNotification(
                id_hash=secrets.digest(notification_id),
                delivery_id=delivery.id,
                access_token_hash=secrets.digest(access_token),
                created_at=services.clock(),
            )
        )
    return notification_id


def notify(services: Services, slug: str, *, access_token: str | None, body: Any) -> None:
    """Record the wallet's event for the delivery its notification_id names."""
    now = services.clock()
    if not secrets.plausible(access_token):
        raise WalletProtocolError("invalid_token", "a Bearer access token from the token endpoint is needed")
    token_hash = secrets.digest(str(access_token))
    with services.sessions() as session, session.begin():
        issuer_id = IssuerRepository(session).by_slug(slug).id
        if not _live(session, token_hash, issuer_id, now):
            raise WalletProtocolError("invalid_token", "the access token is unknown or has expired")
        notification_id, event, description = _request(body)
        found = WalletNotificationRepository(session).get(secrets.digest(notification_id))
        if found is None or found[0].access_token_hash != token_hash:
            raise WalletProtocolError(
                "invalid_notification_id", "notification_id was not given with this access token"
            )
        notification, delivery = found
        notification.event = event
        notification.event_description = description
        notification.notified_at = now
    audit("wallet.notified", issuer=slug, credential=delivery.credential_id, outcome=event)


def _live(session: Session, token_hash: str, issuer_id: int, now: datetime) -> bool:
    found = ClaimRepository(session).by_access_token(token_hash)
    if found is not None:
        offer, claim, record = found
        expires = offer.access_expires_at
        return (
            record.issuer_id == issuer_id and expires is not None and expires > now and claim.expires_at > now
        )
    row = WalletAuthorizationRepository(session).by_access_token(token_hash)
    return (
        row is not None
        and row.issuer_id == issuer_id
        and row.revoked_at is None
        and row.access_expires_at is not None
        and row.access_expires_at > now
    )


def _request(body: Any) -> tuple[str, str, str | None]:
    if not isinstance(body, dict):
        raise _invalid("the notification request must be a JSON object")
    notification_id, event = body.get("notification_id"), body.get("event")
    if not secrets.plausible(notification_id):
        raise _invalid("notification_id is missing")
    if event not in EVENTS:
        raise _invalid(f"event must be one of {', '.join(sorted(EVENTS))}")
    description = body.get("event_description")
    if description is not None and (
        not isinstance(description, str)
        or len(description) > MAX_DESCRIPTION_CHARS
        or not _DESCRIPTION.fullmatch(description)
    ):
        raise _invalid(
            f'event_description must be printable ASCII without " or \\ (at most {MAX_DESCRIPTION_CHARS})'
        )
    return str(notification_id), str(event), description


def _invalid(message: str) -> WalletProtocolError:
    return WalletProtocolError("invalid_notification_request", message)
