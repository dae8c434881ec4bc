"""Fixtures of the presentation tests: an issuing university and Ada, a holder with her own did:key."""

from __future__ import annotations

import pytest

from tests.badges import Issuer


@pytest.fixture(scope="module")
def university() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def ada() -> Issuer:
    return Issuer("Ada")
