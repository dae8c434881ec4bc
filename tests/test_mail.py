"""Outgoing mail against a real SMTP server (aiosmtpd on loopback): sent when it can be, and
``MailUnavailable`` — never a plain-text fallback — when it cannot."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from badge_issuer.config import Settings
from badge_issuer.errors import MailUnavailable
from badge_issuer.mail import send_mail
from tests.conftest import free_port
from tests.wallet import Mailbox


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def test_a_message_reaches_the_smtp_server(make_settings: Callable[..., Settings], mailbox: Mailbox) -> None:
    settings = make_settings(**mailbox.settings(), smtp_from="badges@uni.example")
    send_mail(settings, "ada@example.org", "Your code", "Your code is 123456\n")
    [body] = mailbox.to("ada@example.org")
    assert "123456" in body
    [(recipients, raw)] = mailbox.messages
    assert recipients == ["ada@example.org"]
    assert b"From: badges@uni.example" in raw and b"Subject: Your code" in raw


def test_starttls_that_the_server_cannot_do_is_not_sent_in_clear(
    make_settings: Callable[..., Settings], mailbox: Mailbox
) -> None:
    settings = make_settings(**{**mailbox.settings(), "smtp_security": "starttls"})
    with pytest.raises(MailUnavailable, match="failed"):
        send_mail(settings, "ada@example.org", "Your code", "Your code is 123456\n")
    assert mailbox.messages == []


def test_no_server_or_no_setting_is_mail_unavailable(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(MailUnavailable, match="BADGE_SMTP_HOST"):
        send_mail(make_settings(), "ada@example.org", "s", "t")
    nobody = make_settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    with pytest.raises(MailUnavailable):
        send_mail(nobody, "ada@example.org", "s", "t")
