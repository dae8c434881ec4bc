"""Achievements without HTTP: versions are published, never rewritten."""

from __future__ import annotations

import pytest

from badge_issuer.application import Services
from badge_issuer.application.achievements import (
    get_achievement,
    list_achievements,
    new_achievement,
    publish_version,
)
from badge_issuer.application.publishing import achievement_document
from badge_issuer.credential.requests import AchievementInput
from badge_issuer.errors import InputError, NotFound
from tests.application.conftest import make_issuer

BODY = {"name": "Data Analysis", "description": "Explores data.", "criteria": {"narrative": "Passed."}}


def test_an_update_publishes_a_new_version_and_keeps_the_old_one(services: Services) -> None:
    make_issuer(services)
    updated = publish_version(
        services, "uni", "python-data", AchievementInput.model_validate({**BODY, "name": "Data Analysis II"})
    )
    assert (updated.version, updated.current_version) == (2, 2)
    assert updated.document["related"][0]["version"] == "1"
    first = get_achievement(services, "uni", "python-data", 1)
    assert first.document["name"] == "Data Analysis with Python"
    assert first.current_version == 2
    assert [view.version for view in list_achievements(services, "uni")] == [2]
    served = achievement_document(services, "uni", "python-data")
    assert served["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert served["name"] == "Data Analysis II"
    with pytest.raises(NotFound):
        get_achievement(services, "uni", "python-data", 3)


def test_a_taken_slug_and_a_renaming_update_are_refused(services: Services) -> None:
    make_issuer(services)
    with pytest.raises(InputError):
        new_achievement(services, "uni", AchievementInput.model_validate({**BODY, "slug": "python-data"}))
    with pytest.raises(InputError):
        publish_version(
            services, "uni", "python-data", AchievementInput.model_validate({**BODY, "slug": "renamed"})
        )
    assert new_achievement(services, "uni", AchievementInput.model_validate(BODY)).slug == "data-analysis"
