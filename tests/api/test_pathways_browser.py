"""Pathway progress on a step's badge page, and an issuer's skills page, in a real headless Chromium
(Playwright, Debian's ``chromium``) against the real app: the badge page of a step shows its
pathway and what its own recipient still needs — never another learner's badges — and the skills
page lists each skill with the achievements that evidence it; no serious or critical axe-core
violation on either, under the pages' Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from badge_issuer.cli import main
from badge_issuer.clock import system_clock
from badge_issuer.config import Settings
from tests.api.test_issuing import Tenant, bootstrap
from tests.api.test_pages_browser import axe_violations, launched_chromium, shot
from tests.api.test_pathways import achievement
from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.e2e
ADA, BOB = "ada@example.org", "bob@example.org"
ESCO_SQL = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
PATHWAY: dict[str, Any] = {
    "slug": "data-certificate",
    "name": "Certificate in Data Analysis",
    "target": "certificate",
    "requirements": {
        "type": "allOf",
        "ordered": True,
        "requirements": [
            {"type": "achievement", "achievement": "step-one"},
            {"type": "achievement", "achievement": "step-two"},
            {"type": "achievement", "achievement": "step-three"},
        ],
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("pathways-browser")
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'badges.sqlite3'}",
        keys_dir=folder / "keys",
        base_url=f"http://127.0.0.1:{port}",
        verify_rate_limit="off",
    )
    assert main(["init"], settings) == 0
    live = LiveServer(settings, port, system_clock)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def tenant(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    sql = {"targetName": "SQL", "targetUrl": ESCO_SQL, "targetFramework": "ESCO"}
    python = {
        "targetName": "Python programming",
        "targetUrl": "https://skills.example/python",
    }
    bodies = [
        achievement("step-one") | {"name": "Databases", "alignment": [sql]},
        achievement("step-two") | {"name": "Data wrangling", "alignment": [sql, python]},
        achievement("step-three") | {"name": "Capstone"},
        achievement("certificate"),
    ]
    for body in bodies:
        created = httpx.post(tenant.url("/achievements"), json=body, headers=tenant.admin)
        assert created.status_code == 201, created.text
    assert httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=tenant.admin).status_code == 201
    return tenant


def award(tenant: Tenant, slug: str, email: str) -> str:
    response = httpx.post(
        tenant.url(f"/achievements/{slug}/credentials"),
        json={"recipient": {"email": email}},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    page: str = response.json()["credentialId"]
    return page


def test_a_steps_badge_page_shows_its_pathway_and_what_its_recipient_still_needs(
    chromium: Browser, tenant: Tenant
) -> None:
    adas = award(tenant, "step-one", ADA)
    bobs = [award(tenant, slug, BOB) for slug in ("step-two", "step-three")]
    context = chromium.new_context()  # the pages' own Content-Security-Policy enforced
    try:
        page = context.new_page()
        page.goto(adas)
        section = page.get_by_role("region", name="A step toward Certificate in Data Analysis")
        expect(section).to_be_visible()
        steps = section.locator("li")
        expect(steps).to_have_count(3)
        expect(steps.nth(0)).to_contain_text("Databases (this badge) met")
        # Bob holds the other two steps: Ada's page says they remain for her
        expect(steps.nth(1)).to_contain_text("Data wrangling remaining")
        expect(steps.nth(2)).to_contain_text("Capstone remaining")
        expect(section).to_contain_text("All of, in this order: remaining")
        html = page.content()
        assert not any(bob.rsplit("/", 1)[-1] in html for bob in bobs)
        section.get_by_role("link", name="Certificate in Data Analysis").click()
        expect(page.get_by_role("heading", name="Certificate in Data Analysis")).to_be_visible()
        shot(page, "pathway-from-badge")

        # Bob's step-three page: two of three met, one remaining; once complete, awarded
        page.goto(bobs[1])
        section = page.get_by_role("region", name="A step toward Certificate in Data Analysis")
        expect(section.locator("li").nth(0)).to_contain_text("Databases remaining")
        expect(section.locator("li").nth(2)).to_contain_text("Capstone (this badge) met")
        award(tenant, "step-one", BOB)
        page.reload()
        expect(section).to_contain_text("Completed: Certificate was awarded.")
        shot(page, "badge-step-progress")
    finally:
        context.close()
    audit = chromium.new_context(bypass_csp=True)
    try:
        page = audit.new_page()
        page.goto(adas)
        assert axe_violations(page) == []
    finally:
        audit.close()


def test_the_issuers_skills_page_lists_each_skill_with_the_badges_that_evidence_it(
    chromium: Browser, tenant: Tenant
) -> None:
    base = tenant.server.url
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base}/issuers/uni")
        page.get_by_role("link", name="The skills these achievements evidence").click()
        expect(
            page.get_by_role("heading", name="Skills evidenced by badges of uni University")
        ).to_be_visible()
        skills = page.locator(".skills-list > li")
        expect(skills).to_have_count(2)  # each skill once, by name
        expect(skills.nth(0)).to_contain_text("Python programming")
        expect(skills.nth(0)).to_contain_text("Evidenced by: Data wrangling")
        expect(skills.nth(1)).to_contain_text("SQL (ESCO)")
        expect(skills.nth(1)).to_contain_text("Evidenced by: Data wrangling, Databases")
        skills.nth(1).get_by_role("link", name="Databases").click()
        expect(page.get_by_role("heading", name="Databases")).to_be_visible()
        shot(page, "skills-to-achievement")
    finally:
        context.close()
    as_json = httpx.get(f"{base}/issuers/uni/skills").json()
    assert [skill["targetName"] for skill in as_json["skills"]] == ["Python programming", "SQL"]
    assert as_json["skills"][1]["targetUrl"] == ESCO_SQL
    assert len(as_json["skills"][1]["achievements"]) == 2
    assert httpx.get(f"{base}/issuers/nobody/skills").status_code == 404
    audit = chromium.new_context(bypass_csp=True)
    try:
        page = audit.new_page()
        page.goto(f"{base}/issuers/uni/skills")
        assert axe_violations(page) == []
    finally:
        audit.close()
