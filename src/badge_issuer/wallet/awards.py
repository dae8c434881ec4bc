"""What the wallet protocols need to know of an award: may it still be delivered, and which
credential configuration (achievement slug) is it."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from badge_issuer.db.tables import Achievement, Credential
from badge_issuer.errors import NotFound


def refusal(record: Credential) -> str | None:
    """Why the award cannot be taken into a wallet (revoked, suspended), or None."""
    if record.status != "active":
        return f"this award is {record.status}: it cannot be added to a wallet"
    return None


def bound_subject(record: Credential) -> str | None:
    """The subject id the award already names (issued to a DID or URL), or None."""
    subject = json.loads(record.credential_json).get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    return subject_id if isinstance(subject_id, str) else None


def achievement_slug(session: Session, record: Credential) -> str:
    """The award's achievement slug: its OpenID4VCI credential configuration id."""
    achievement = session.get(Achievement, record.achievement_id) if record.achievement_id else None
    if achievement is None:
        raise NotFound("this credential was not made from one of our achievements")
    return achievement.slug
