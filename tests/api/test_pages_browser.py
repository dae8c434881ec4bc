"""The pages in a real headless Chromium (Playwright driving Debian's ``chromium``) against the real
app under uvicorn: what a person sees on the badge and verification pages, a baked PNG uploaded
through the form, revocation showing, keyboard use, the pages' own Content-Security-Policy, a phone's
screen, and axe-core's accessibility rules (no serious or critical violation).

``make test`` installs Chromium (apt) and axe-core (``npm ci`` in tests/axe) when they are missing;
without them these tests fail rather than skip. Screenshots are left in tests/artifacts/ (git-ignored).
One browser and one server serve the whole module; each test opens its own browser context.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from badge_issuer.cli import main
from badge_issuer.clock import system_clock
from badge_issuer.config import Settings
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
TESTS = Path(__file__).resolve().parents[1]
AXE = TESTS / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = TESTS / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: axe-core impacts that fail a page
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("pages-browser")
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
def tenant(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    created = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert created.status_code == 201, created.text
    return tenant


def launched_chromium() -> Iterator[Browser]:
    """Debian's chromium under Playwright, headless; a missing browser fails (make test installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # bypass_csp only so that axe-core can be injected; test_pages_keep_to_their_csp runs without it
    opened = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def award(tenant: Tenant, name: str = "Ada Lovelace") -> dict[str, Any]:
    response = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org", "name": name}},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def revoke(tenant: Tenant, issued: dict[str, Any]) -> None:
    response = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "test"}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text


def baked_png(issued: dict[str, Any], folder: Path) -> Path:
    path = folder / f"badge-{issued['id']}.png"
    path.write_bytes(httpx.get(issued["links"]["bakedPng"]).content)
    return path


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload_on_verify(page: Page, server: LiveServer, file: Path) -> None:
    page.goto(f"{server.url}/verify")
    page.get_by_label("A badge file").set_input_files(str(file))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/verify")
    expect(page.get_by_role("heading", name="Result")).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci in tests/axe)")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["html"] for n in v["nodes"]][:3],
        }
        for v in found
        if v["impact"] in BLOCKING
    ]


def test_the_badge_page_shows_the_badge_its_verdict_and_each_check_one_click_away(
    page: Page, tenant: Tenant
) -> None:
    issued = award(tenant)
    page.goto(issued["credentialId"])
    expect(page).to_have_title("Data Analysis with Python · Open Badges at " + tenant.server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Analysis with Python")
    expect(page.locator("#verdict-title")).to_have_text("✓ Verified")
    expect(page.get_by_text("Awarded to Ada Lovelace")).to_be_visible()
    assert "ada@example.org" not in page.content()
    image = page.get_by_role("img", name="The badge Data Analysis with Python")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")  # the baked PNG loads
    signature = page.locator(".check", has_text="Digital signature")
    expect(signature).to_be_hidden()
    page.get_by_text("How this badge was checked").click()
    expect(signature).to_be_visible()
    expect(signature.locator(".check-status")).to_have_text("Passed")
    expect(page.get_by_role("link", name="Add to LinkedIn profile")).to_have_attribute(
        "href", re.compile(r"^https://www\.linkedin\.com/profile/add\?startTask=CERTIFICATION_NAME&")
    )
    expect(page.get_by_label("Link to this badge")).to_have_value(issued["credentialId"])
    expect(
        page.get_by_role("img", name=f"QR code of this page's address: {issued['credentialId']}")
    ).to_be_visible()
    shot(page, "badge-verified")


def test_a_baked_png_uploaded_on_the_verification_page_is_verified(
    page: Page, tenant: Tenant, tmp_path: Path
) -> None:
    issued = award(tenant)
    upload_on_verify(page, tenant.server, baked_png(issued, tmp_path))
    expect(page.locator("#verdict-title")).to_have_text("✓ Verified")
    expect(page.locator("#result-achievement")).to_have_text("Data Analysis with Python")
    first = page.locator(".checks .check").first
    expect(first.locator(".check-status")).to_have_text("Passed")  # nothing failed
    shot(page, "verify-verified")


def test_a_revoked_badge_says_revoked_on_its_page_and_on_the_verification_page(
    page: Page, tenant: Tenant, tmp_path: Path
) -> None:
    issued = award(tenant)
    png = baked_png(issued, tmp_path)
    page.goto(issued["credentialId"])
    expect(page.locator("#verdict-title")).to_have_text("✓ Verified")
    revoke(tenant, issued)
    page.reload()
    expect(page.locator("#verdict-title")).to_have_text("! Revoked")
    expect(page.get_by_text("The issuer has revoked this badge: it is no longer valid.")).to_be_visible()
    shot(page, "badge-revoked")
    upload_on_verify(page, tenant.server, png)
    expect(page.locator("#verdict-title")).to_have_text("! Revoked")
    failing = page.locator(".checks .check").first  # the failing check comes first
    expect(failing.locator(".check-status")).to_have_text("Failed")
    expect(failing.locator(".check-title")).to_have_text("Not revoked or suspended")
    expect(failing.locator(".check-message")).to_contain_text("revoked on")
    shot(page, "verify-revoked")


def test_the_verification_form_works_from_the_keyboard_alone(page: Page, tenant: Tenant) -> None:
    credential = json.dumps(award(tenant)["credential"])
    page.goto(f"{tenant.server.url}/verify")
    reached: list[str] = []
    for _ in range(14):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()")
        )
    assert reached[0] == "Skip to the content"
    controls = ["badge-file", "badge-text", "badge-url", "badge-recipient", "Verify"]
    positions = [reached.index(control) for control in controls]  # each one is reached …
    assert positions == sorted(positions), reached  # … in reading order
    page.locator("#badge-text").focus()
    page.keyboard.insert_text(credential)
    page.keyboard.press("Tab")  # to the URL field
    page.keyboard.press("Tab")  # to the recipient's email address
    page.keyboard.type("ada@example.org")
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    page.wait_for_url(f"{tenant.server.url}/verify")
    expect(page.locator("#verdict-title")).to_have_text("✓ Verified")
    expect(page.locator(".check", has_text="the given email address is the recipient")).to_be_visible()
    page.goto(f"{tenant.server.url}/verify")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link moves focus to the content
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_the_checks_open_from_the_keyboard(page: Page, tenant: Tenant) -> None:
    page.goto(award(tenant)["credentialId"])
    page.locator("details.how-checked summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".check", has_text="Digital signature")).to_be_visible()


def test_the_pages_have_no_serious_or_critical_accessibility_violations(
    page: Page, tenant: Tenant, tmp_path: Path
) -> None:
    base = tenant.server.url
    verified, revoked = award(tenant), award(tenant)
    revoke(tenant, revoked)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, url in (
        ("landing", f"{base}/"),
        ("badge", verified["credentialId"]),
        ("badge-revoked", revoked["credentialId"]),
        ("verify-form", f"{base}/verify"),
        ("issuer", f"{base}/issuers/uni"),
        ("achievement", f"{base}/issuers/uni/achievements/python-data"),
        ("not-found", f"{base}/credentials/00000000-0000-4000-8000-000000000000"),
    ):
        page.goto(url)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        found[name] = axe_violations(page)
        shot(page, name)
    upload_on_verify(page, tenant.server, baked_png(revoked, tmp_path))
    found["verify-result"] = axe_violations(page)
    page.goto(f"{base}/verify")
    page.get_by_role("button", name="Verify").click()  # nothing given: the form explains
    expect(page.get_by_role("alert")).to_contain_text("Choose a badge file")
    found["verify-error"] = axe_violations(page)
    shot(page, "verify-error")
    assert {name: issues for name, issues in found.items() if issues} == {}


def test_pages_keep_to_their_content_security_policy(
    browser: Browser, tenant: Tenant, tmp_path: Path
) -> None:
    strict = browser.new_context()  # the policy enforced: no bypass
    try:
        page = strict.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        issued = award(tenant)
        for url in (f"{tenant.server.url}/", issued["credentialId"], f"{tenant.server.url}/issuers/uni"):
            page.goto(url)
        verdict = page.goto(issued["credentialId"])
        assert verdict is not None and "default-src 'none'" in verdict.headers["content-security-policy"]
        background = page.locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(15, 107, 53)"  # the stylesheet applies
        assert page.locator(".badge-image").evaluate("img => img.naturalWidth > 0")
        upload_on_verify(page, tenant.server, baked_png(issued, tmp_path))  # the form may post
        expect(page.locator("#verdict-title")).to_have_text("✓ Verified")
        assert problems == []
    finally:
        strict.close()


def test_the_pages_fit_a_phone_screen(browser: Browser, tenant: Tenant) -> None:
    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = phone.new_page()
        for name, url in (
            ("badge-phone", award(tenant)["credentialId"]),
            ("verify-phone", f"{tenant.server.url}/verify"),
        ):
            page.goto(url)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, (
                name
            )  # no sideways scroll
            shot(page, name)
    finally:
        phone.close()
