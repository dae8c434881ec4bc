"""Emailing a new award's claim link to its recipient (``BADGE_CLAIM_EMAIL``), and an offer's
transaction code to the learner who asked for it on the claim page, over ``mail.py``.

Sent after the award's transaction has committed, once per award (an idempotent replay sends
nothing); the message names the badge and its issuer, links the badge image and the claim page,
and says until when the link works. A mail server that fails does not undo the award: the link is
in the issue response anyway, and the failure is logged (never the address).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from badge_issuer.application.services import Services
from badge_issuer.errors import MailUnavailable
from badge_issuer.issuance import IssuedBadge
from badge_issuer.mail import send_mail
from badge_issuer.wallet import secrets

log = logging.getLogger(__name__)


def claim_url(services: Services, record_id: str) -> str:
    token = secrets.claim_token(services.issuance.recipient_pepper, record_id)
    return f"{services.urls.base}/claims/{token}"


def claim_message(services: Services, issued: IssuedBadge) -> tuple[str, str]:
    """The subject and plain text of the claim email of ``issued``."""
    credential = issued.credential
    subject = _object(credential.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    issuer = _object(credential.get("issuer"))
    badge = _line(achievement.get("name")) or "a badge"
    issuer_name = _line(issuer.get("name")) or "Your issuer"
    expires = (issued.record.created_at + timedelta(days=services.settings.claim_ttl_days)).date()
    text = "\n".join(
        [
            f"{issuer_name} has awarded you the badge \u201c{badge}\u201d.",
            "",
            "Add it to your wallet (OpenID4VCI wallets or the Learner Credential Wallet), or download it:",
            claim_url(services, issued.record.id),
            "",
            f"This link is for you alone; it works until {expires.isoformat()}.",
            "",
            f"The badge: {credential['id']}/baked.png",
        ]
    )
    return f"Your badge: {badge}", text


def email_claim(services: Services, issued: IssuedBadge, to: str) -> bool:
    """Send the claim email of a new award to ``to``; False (and a log line) when mail failed."""
    subject, text = claim_message(services, issued)
    try:
        send_mail(services.settings, to, subject, text)
    except MailUnavailable as exc:
        log.warning("claim email for credential %s not sent: %s", issued.record.id, exc.message)
        return False
    return True


def email_tx_code(
    services: Services, to: str, *, badge: str, code: str, minutes: int, lcw: str | None = None
) -> None:
    """Send an offer's transaction code to the learner, with the Learner Credential Wallet's deep
    link to a fresh exchange when there is one (``MailUnavailable`` if it could not be sent)."""
    name = _line(badge) or "your badge"
    lines = [
        f"Your wallet asks for a code to add \u201c{name}\u201d. Your code is {code}",
        "",
        f"It works with the offer on your claim page for {minutes} minutes.",
    ]
    if lcw is not None:
        lines += [
            "",
            "With the Learner Credential Wallet, open this link instead, on the phone where it is",
            f"installed (it works for {minutes} minutes and is for you alone):",
            lcw,
        ]
    lines += [
        "",
        "If you did not ask for it, ignore this email: nobody can use it without your claim link.",
    ]
    text = "\n".join(lines)
    send_mail(services.settings, to, f"Your wallet code for {name}", text)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _line(value: Any) -> str | None:
    """A one-line text for a mail header or sentence (no line breaks can be smuggled in)."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:200] or None
