"""Fixtures of the Open Badges API tests: a real SMTP server for sign-in codes, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wallet import Mailbox, MovableClock


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()
