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


def test_a_version_links_only_the_one_before_it_so_credentials_do_not_grow_with_edits(
    services: Services,
) -> None:
    from badge_issuer.application.issuing import issue_one
    from badge_issuer.credential.requests import IssueRequest

    make_issuer(services)

    def issued_size() -> int:
        request = IssueRequest.model_validate({"recipient": {"email": "ada@example.org"}})
        issued = issue_one(
            services, issuer="uni", achievement="python-data", request=request, client_id=None, scope="s"
        )
        return len(issued.record.credential_json)

    sizes = {}
    for version in range(2, 31):
        body = AchievementInput.model_validate({**BODY, "name": f"Data Analysis {version:02d}"})
        published = publish_version(services, "uni", "python-data", body)
        assert published.document["related"] == [
            {
                "id": f"http://127.0.0.1:8000/issuers/uni/achievements/python-data/versions/{version - 1}",
                "type": ["Related"],
                "version": str(version - 1),
            }
        ]
        if version in (11, 30):
            sizes[version] = issued_size()
    # a few bytes apart (a base58 signature's length varies); before, every earlier version was
    # linked, ~120 bytes each: 2,300 bytes more for these 19 edits
    assert abs(sizes[30] - sizes[11]) < 16
