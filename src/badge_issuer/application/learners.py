"""Learners as resource owners: prove an email address with a one-time code, then act on consents.

Nobody learns from these answers whether an address has badges here: every well-formed address
gets the same answer and the same email. Learners are known only by the keyed recipient hash of
the address (the one issuance records carry), never by the address itself.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from badge_issuer.application.services import Services
from badge_issuer.credential.requests import lookup_identifier
from badge_issuer.db.learners import LearnerRepository
from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.db.tables import LearnerSession, LearnerSignIn
from badge_issuer.errors import MailUnavailable, NotFound, RateLimited, SignInFailed, ValidationFailed
from badge_issuer.issuance import recipient_hash
from badge_issuer.mail import send_mail
from badge_issuer.oauth.scopes import scope_list
from badge_issuer.oauth.secrets import digest, new_secret
from badge_issuer.observability.logs import audit

#: sign-in codes one address may be sent per hour (with the attempt limit, this bounds guessing)
CODES_PER_HOUR = 5
CODE_DIGITS = 6
MAX_EMAIL = 320
#: expired sign-ins, sessions, codes and tokens are deleted this long after they expire
PRUNE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    name: str
    client_uri: str
    scopes: tuple[str, ...]
    granted: datetime


def learner_key(services: Services, email: str) -> str:
    """The keyed hash a learner is known by: the issuance records' ``recipient_hash``."""
    pepper = services.settings.recipient_pepper.get_secret_value().encode()
    return recipient_hash(lookup_identifier(email), pepper)


def _address(email: str) -> str:
    if len(email) > MAX_EMAIL:
        raise ValidationFailed("the email address is too long", pointer="email")
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed(f"not an email address: {exc}", pointer="email") from exc


def start_sign_in(services: Services, email: str) -> str:
    """Email a one-time code to ``email``; returns the sign-in id the code is entered with."""
    address = _address(email)
    if not services.settings.smtp_host:
        raise MailUnavailable("BADGE_SMTP_HOST is not set: sign-in codes cannot be sent")
    # hashed as issuance hashes a recipient's address (trimmed, lower-cased), not as normalised
    learner = learner_key(services, email.strip())
    now = services.clock()
    sign_in_id = new_secret(24)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with services.sessions() as session, session.begin():
        repository = LearnerRepository(session)
        # housekeeping while writing anyway: what expired a day ago can never be used again
        repository.prune(now, keep=PRUNE_AFTER)
        OAuthRepository(session).prune(now, keep=PRUNE_AFTER)
        if repository.sign_ins_since(learner, now - timedelta(hours=1)) >= CODES_PER_HOUR:
            raise RateLimited("too many sign-in codes for this address; try again later", retry_after=3600)
        repository.add(
            LearnerSignIn(
                id_hash=digest(sign_in_id),
                learner=learner,
                code_hash=digest(sign_in_id + code),
                attempts=0,
                created_at=now,
                expires_at=now + timedelta(seconds=services.settings.sign_in_code_seconds),
            )
        )
    minutes = max(1, services.settings.sign_in_code_seconds // 60)
    # sent after the commit (no lock held while the SMTP server answers); a code that could not
    # be sent is simply never used
    send_mail(
        services.settings,
        address,
        f"Your sign-in code for {services.settings.service_name}",
        f"Your code is {code}\n\nIt works for {minutes} minutes. "
        "If you did not ask for it, ignore this email.\n",
    )
    return sign_in_id


def finish_sign_in(services: Services, sign_in_id: str, code: str) -> str:
    """Check the code; a new browser session token if it is right (``SignInFailed`` otherwise)."""
    now = services.clock()
    settings = services.settings
    with services.sessions() as session, session.begin():
        repository = LearnerRepository(session)
        row = repository.sign_in(digest(sign_in_id)) if len(sign_in_id) <= 64 else None
        usable = (
            row is not None
            and row.used_at is None
            and now < row.expires_at
            and row.attempts < settings.sign_in_code_attempts
        )
        if row is None or not usable:
            outcome: str | None = None
        else:
            row.attempts += 1
            right = len(code) <= 16 and hmac.compare_digest(digest(sign_in_id + code.strip()), row.code_hash)
            outcome = row.learner if right else None
            if right:
                row.used_at = now
        token = new_secret(32)
        if outcome is not None:
            expires = now + timedelta(seconds=settings.learner_session_seconds)
            repository.add(
                LearnerSession(token_hash=digest(token), learner=outcome, created_at=now, expires_at=expires)
            )
    if outcome is None:
        raise SignInFailed("the code is wrong, used or expired; ask for a new one if needed")
    return token


def signed_in(services: Services, token: str | None) -> str | None:
    """The learner of a browser session token, if it is live."""
    if not token or len(token) > 64:
        return None
    with services.readers() as session:
        row = LearnerRepository(session).browser_session(digest(token))
        if row is None or services.clock() >= row.expires_at:
            return None
        return row.learner


def sign_out(services: Services, token: str) -> None:
    with services.sessions() as session, session.begin():
        repository = LearnerRepository(session)
        row = repository.browser_session(digest(token))
        if row is not None:
            repository.end(row)


def csrf_token(session_token: str) -> str:
    """The form token of a browser session (unguessable without the session cookie)."""
    return digest("csrf:" + session_token)


def connected_apps(services: Services, learner: str) -> list[ConnectedApp]:
    with services.readers() as session:
        return [
            ConnectedApp(
                client.id,
                client.client_name,
                _client_uri(client.metadata_json),
                tuple(scope_list(c.scope)),
                c.granted_at,
            )
            for c, client in OAuthRepository(session).consents(learner)
        ]


def withdraw(services: Services, learner: str, client_id: str) -> None:
    """Forget the consent and revoke every token it gave the app (it must ask again)."""
    with services.sessions() as session, session.begin():
        repository = OAuthRepository(session)
        consent = repository.consent(client_id, learner)
        if consent is None:
            raise NotFound("no such connected app")
        repository.delete_consent(consent)
        repository.revoke_grants(client_id, learner, services.clock())
    audit("oauth.consent_withdrawn", client=client_id, learner=learner[:12])


def _client_uri(metadata_json: str) -> str:
    value = json.loads(metadata_json).get("client_uri", "")
    return value if isinstance(value, str) else ""
