"""Fixtures of the wallet tests: a real SMTP server (learner sign-in codes, emailed tx_codes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wallet import Mailbox


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()
