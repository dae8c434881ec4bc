"""Deterministic issuance: with the clock, ids, salts, status positions and key pinned, an issued
credential is the same bytes every time (Ed25519 signatures are deterministic), so any change to
what we issue shows up here as a diff of the golden file.

After an intended change, regenerate with
``BADGE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/application/test_golden.py`` and review the diff of
``tests/vectors/golden/issued-credential.json``.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badge_issuer.application import Services, build_services
from badge_issuer.application.achievements import new_achievement
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.tenants import create_issuer_with_admin
from badge_issuer.application.verifying import verify_presented
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import AchievementInput, IssuerCreate, IssueRequest
from badge_issuer.db.migrate import upgrade
from tests.application.conftest import NOW, make_issuer

GOLDEN = Path(__file__).parents[1] / "vectors" / "golden" / "issued-credential.json"
SEED = bytes(range(32))

AWARD = {
    "recipient": {"email": "Ada@Example.org", "name": "Ada Lovelace"},
    "result": [{"value": "92", "status": "Completed"}],
    "evidence": [{"id": "https://lms.example.edu/submissions/42", "name": "Final project"}],
    "narrative": "Built a data pipeline.",
    "activityStartDate": "2026-09-01T00:00:00Z",
    "activityEndDate": "2026-11-20T00:00:00Z",
    "creditsEarned": 5,
    "proof": ["eddsa-rdfc-2022", "Ed25519Signature2020"],
}


def counter(template: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: template.format(next(numbers))


@pytest.fixture
def pinned(make_settings: Callable[..., Settings]) -> Iterator[Services]:
    built = build_services(
        make_settings(base_url="https://badges.example.edu"),
        clock=fixed_clock(NOW),
        rng=random.Random(2026),
        new_id=counter("00000000-0000-4000-8000-{:012d}"),
        new_salt=counter("golden-salt-{:04d}-0123456789abcdef"),
        key_generator=lambda: Ed25519PrivateKey.from_private_bytes(SEED),
    )
    upgrade(built.engine)
    yield built
    built.close()


def issue_golden(services: Services) -> bytes:
    create_issuer_with_admin(
        services,
        IssuerCreate.model_validate(
            {"slug": "uni", "name": "Example University", "url": "https://example.edu", "suspension": True}
        ),
        client_id=None,
    )
    new_achievement(
        services,
        "uni",
        AchievementInput.model_validate(
            {
                "slug": "python-data",
                "name": "Data Analysis with Python",
                "description": "Cleans, explores and models tabular data with pandas.",
                "criteria": {"narrative": "Passed the final project with at least 70%."},
                "achievementType": "Course",
                "tag": ["python", "data"],
            }
        ),
    )
    issued = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=IssueRequest.model_validate(AWARD),
        client_id=None,
        scope="/golden",
    )
    return issued.record.credential_json.encode("utf-8")


def test_an_issued_credential_is_exactly_the_golden_bytes(pinned: Services) -> None:
    issued = issue_golden(pinned)
    if os.environ.get("BADGE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(issued)
    assert issued == GOLDEN.read_bytes()
    assert verify_presented(pinned, issued).verified


def test_by_default_ids_and_salts_are_fresh_for_every_award(services: Services) -> None:
    make_issuer(services)
    request = IssueRequest.model_validate({"recipient": {"email": "ada@example.org"}})
    first, second = (
        issue_one(services, issuer="uni", achievement="python-data", request=request, client_id=None, scope=s)
        for s in ("/a", "/b")
    )
    assert first.credential["id"] != second.credential["id"]
    hashes = [
        issued.credential["credentialSubject"]["identifier"][0]["identityHash"] for issued in (first, second)
    ]
    assert hashes[0] != hashes[1]
