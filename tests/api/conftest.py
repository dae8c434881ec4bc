"""Fixtures of the Open Badges API tests: a real SMTP server for sign-in codes, a movable clock, a
wallet registered with the server, and a learner's browser (httpx, reading sign-in codes from the
SMTP server). Each test module provides its own ``server`` fixture; the last two build on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer
from tests.wallet import Browser, Mailbox, MovableClock, Wallet


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def wallet(server: LiveServer) -> Wallet:
    wallet = Wallet(server.url)
    wallet.discover()
    assert wallet.register().status_code == 201
    return wallet


@pytest.fixture
def browser(server: LiveServer, mailbox: Mailbox) -> Iterator[Browser]:
    browser = Browser(server.url, mailbox)
    yield browser
    browser.close()
