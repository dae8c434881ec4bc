"""Use cases run directly (no HTTP) on the real composition root over a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from badge_issuer.application import Services, build_services
from badge_issuer.application.achievements import new_achievement
from badge_issuer.application.tenants import NewIssuer, create_issuer_with_admin
from badge_issuer.auth import Principal, parse_bearer
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import AchievementInput, IssuerCreate
from badge_issuer.db.migrate import upgrade

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def services(make_settings: Callable[..., Settings]) -> Iterator[Services]:
    built = build_services(make_settings(), clock=fixed_clock(NOW))
    upgrade(built.engine)
    yield built
    built.close()


def make_issuer(services: Services, slug: str = "uni", **fields: object) -> NewIssuer:
    """An issuer with one achievement ``python-data``."""
    created = create_issuer_with_admin(
        services, IssuerCreate.model_validate({"slug": slug, "name": slug.title(), **fields}), client_id=None
    )
    new_achievement(
        services,
        slug,
        AchievementInput.model_validate(
            {
                "slug": "python-data",
                "name": "Data Analysis with Python",
                "description": "Explores data.",
                "criteria": {"narrative": "Passed."},
            }
        ),
    )
    return created


def principal_of(services: Services, api_key: str) -> Principal:
    from badge_issuer.application.tenants import authenticate

    return authenticate(services, *parse_bearer(f"Bearer {api_key}"))
