"""Pathway steps without HTTP: what a badge page reads of its recipient's progress (nothing for a
badge that is no step, or no longer active) and deliveries that are not ours changing nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from badge_issuer.application import Services, build_services
from badge_issuer.application.achievements import new_achievement
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.pathway_awards import award_progress, progress
from badge_issuer.application.pathways import new_pathway
from badge_issuer.application.records import change_record_status
from badge_issuer.application.step_progress import on_badge
from badge_issuer.application.wallet_steps import delivered
from badge_issuer.clock import FixedClock
from badge_issuer.config import Settings
from badge_issuer.credential.pathway import PathwayInput
from badge_issuer.credential.requests import AchievementInput, IssueRequest
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.tables import PathwayAward
from tests.application.conftest import NOW, make_issuer


def issue(services: Services, achievement: str, email: str, **extra: str) -> str:
    request = IssueRequest.model_validate({"recipient": {"email": email}, **extra})
    return issue_one(
        services, issuer="uni", achievement=achievement, request=request, client_id=None, scope="/t"
    ).record.id


def test_a_badge_page_reads_only_its_own_recipients_progress_and_only_for_active_steps(
    services: Services,
) -> None:
    make_issuer(services, "uni")
    for slug in ("statistics", "certificate", "unrelated"):
        body = {"slug": slug, "name": slug.title(), "description": "d", "criteria": {"narrative": "n"}}
        new_achievement(services, "uni", AchievementInput.model_validate(body))
    steps = [{"type": "achievement", "achievement": slug} for slug in ("python-data", "statistics")]
    pathway = {
        "name": "Data",
        "target": "certificate",
        "requirements": {"type": "allOf", "requirements": steps},
    }
    new_pathway(services, "uni", PathwayInput.model_validate(pathway))
    ada = issue(services, "python-data", "ada@example.org")
    issue(services, "statistics", "grace@example.org")  # another learner's step: never Ada's

    [shown] = on_badge(services, ada)
    assert (shown.name, shown.step, shown.awarded) == ("Data", "python-data", False)
    assert [child["met"] for child in shown.tree["requirements"]] == [True, False]
    assert "countedBy" not in shown.tree and "countedBy" not in shown.tree["requirements"][0]
    assert shown.target == ("Certificate", services.urls.achievement("uni", "certificate"))

    assert on_badge(services, issue(services, "unrelated", "ada@example.org")) == ()
    change_record_status(services, "uni", ada, "revoke", reason="error", client_id=None)
    assert on_badge(services, ada) == ()


def test_a_delivery_that_is_not_of_our_award_changes_nothing(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    make_issuer(services, "uni")
    ours = services.urls.credential("00000000-0000-4000-8000-000000000000")
    delivered(services, {"id": "urn:uuid:elsewhere", "credentialSubject": {"id": "did:key:z6Mk"}})
    delivered(services, None)
    with caplog.at_level(logging.WARNING):
        delivered(services, {"id": ours, "credentialSubject": {"id": "did:key:z6Mk"}})
    assert "could not be checked now" in caplog.text


def test_a_step_whose_validity_ended_stops_counting(make_settings: Callable[..., Settings]) -> None:
    clock = FixedClock(NOW)
    services = build_services(make_settings(), clock=clock)
    upgrade(services.engine)
    try:
        make_issuer(services, "uni")
        for slug in ("statistics", "certificate"):
            body = {"slug": slug, "name": slug.title(), "description": "d", "criteria": {"narrative": "n"}}
            new_achievement(services, "uni", AchievementInput.model_validate(body))
        steps = [{"type": "achievement", "achievement": slug} for slug in ("python-data", "statistics")]
        pathway = {
            "name": "Data",
            "target": "certificate",
            "requirements": {"type": "allOf", "requirements": steps},
        }
        new_pathway(services, "uni", PathwayInput.model_validate(pathway))
        until = (NOW + timedelta(days=1)).isoformat().replace("+00:00", "Z")
        python = issue(services, "python-data", "ada@example.org", validUntil=until)
        statistics = issue(services, "statistics", "ada@example.org")
        assert progress(services, "uni", "data", "ada@example.org")["complete"] is True

        clock.at = NOW + timedelta(days=2)  # the python-data badge is no longer valid
        report = progress(services, "uni", "data", "ada@example.org")
        assert report["complete"] is False, report
        [aside] = report["notCounting"]
        assert aside["credential"] == services.urls.credential(python) and "expired" in aside["reason"]
        [shown] = on_badge(services, statistics)
        assert [child["met"] for child in shown.tree["requirements"]] == [False, True]
    finally:
        services.close()


def test_a_badge_page_does_not_say_completed_once_the_target_award_is_revoked(services: Services) -> None:
    make_issuer(services, "uni")
    for slug in ("statistics", "certificate"):
        body = {"slug": slug, "name": slug.title(), "description": "d", "criteria": {"narrative": "n"}}
        new_achievement(services, "uni", AchievementInput.model_validate(body))
    steps = [{"type": "achievement", "achievement": slug} for slug in ("python-data", "statistics")]
    pathway = {
        "name": "Data",
        "target": "certificate",
        "requirements": {"type": "allOf", "requirements": steps},
    }
    new_pathway(services, "uni", PathwayInput.model_validate(pathway))
    issue(services, "python-data", "ada@example.org")
    statistics = issue(services, "statistics", "ada@example.org")
    award_progress(services, "uni", "data", "ada@example.org", client_id=None)
    [shown] = on_badge(services, statistics)
    assert shown.awarded is True
    with services.readers() as session:
        [award] = session.scalars(select(PathwayAward)).all()
        target = award.credential_id
    assert target is not None
    change_record_status(services, "uni", target, "revoke", reason="error", client_id=None)
    [shown] = on_badge(services, statistics)
    assert shown.awarded is False
