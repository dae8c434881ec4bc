"""Outgoing mail over SMTP (learner sign-in codes), configured by the ``BADGE_SMTP_*`` settings."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from badge_issuer.config import Settings
from badge_issuer.errors import MailUnavailable


def send_mail(settings: Settings, to: str, subject: str, text: str) -> None:
    """Send a plain-text message; ``MailUnavailable`` if mail is not configured or not accepted."""
    if not settings.smtp_host:
        raise MailUnavailable("BADGE_SMTP_HOST is not set: sign-in codes cannot be sent")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    timeout = settings.smtp_timeout_seconds
    try:
        if settings.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUnavailable(
            f"the SMTP server {settings.smtp_host}:{settings.smtp_port} failed: {exc}"
        ) from exc
