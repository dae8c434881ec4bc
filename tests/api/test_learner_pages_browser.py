"""The learner's side of OAuth in a real headless Chromium (Playwright, Debian's ``chromium``)
against the real app and a real SMTP server: sign in with the emailed code, allow a wallet, and be
sent back to it with a code — under the pages' Content-Security-Policy, whose ``form-action`` the
consent page widens to the wallet's redirect origin only — then see and withdraw the connected app;
each page keyboard-usable and without serious or critical axe-core violations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from badge_issuer.cli import main
from badge_issuer.clock import system_clock
from badge_issuer.config import Settings
from tests.api.test_pages_browser import axe_violations, launched_chromium, shot
from tests.conftest import LiveServer, free_port
from tests.wallet import READ, REDIRECT_URI, Mailbox, Wallet, pkce_pair

pytestmark = pytest.mark.e2e
ADA = "ada@example.org"


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("learner-pages")
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'badges.sqlite3'}",
        keys_dir=folder / "keys",
        base_url=f"http://127.0.0.1:{port}",
        **mailbox.settings(),  # type: ignore[arg-type]
    )
    assert main(["init"], settings) == 0
    live = LiveServer(settings, port, system_clock)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    yield from launched_chromium()


def accessible(page: Page, name: str, found: dict[str, Any]) -> None:
    shot(page, name)
    found[name] = axe_violations(page)


def test_a_learner_signs_in_allows_a_wallet_and_withdraws_it_in_a_browser(
    chromium: Browser, server: LiveServer, mailbox: Mailbox
) -> None:
    wallet = Wallet(server.url)
    wallet.discover()
    assert wallet.register(client_name="Acme Backpack").status_code == 201
    _, challenge = pkce_pair()
    url = wallet.authorize_url(scope=READ, state="st", code_challenge=challenge, code_challenge_method="S256")
    violations: dict[str, Any] = {}
    # the policy enforced (no bypass) while the learner goes through; axe-core runs in its own context
    context = chromium.new_context()
    audit = chromium.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(url)
        expect(page.get_by_role("heading", name="Sign in with your email address")).to_be_visible()
        page.get_by_label("Email address").fill(ADA)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Code").fill(mailbox.code_for(ADA))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Connect Acme Backpack?")).to_be_visible()
        expect(page.get_by_role("main").get_by_role("listitem")).to_have_text(["see your badges"])
        with page.expect_request(lambda request: request.url.startswith(REDIRECT_URI)) as sent:
            page.get_by_role("button", name="Allow").click()
        page.wait_for_url(lambda at: not at.startswith(server.url))  # left for the wallet (unreachable)
        back = parse_qs(urlsplit(sent.value.url).query)
        assert back["state"] == ["st"] and back["code"][0]
        assert not [p for p in problems if "Content Security Policy" in p], problems

        page.goto(f"{server.url}/learner/apps")
        expect(page.get_by_role("link", name="Acme Backpack")).to_be_visible()
        [session] = [cookie for cookie in context.cookies() if cookie["name"] == "badge_learner"]
        audit.add_cookies([{"name": session["name"], "value": session["value"], "url": server.url}])
        checked = audit.new_page()
        checked.goto(f"{server.url}/learner/apps")
        accessible(checked, "learner-apps", violations)
        with checked.expect_request(lambda request: request.url.startswith(REDIRECT_URI)):
            try:  # remembered: straight back to the wallet (nothing listens there), no page
                checked.goto(url)
            except PlaywrightError as exc:
                assert REDIRECT_URI.split("/callback")[0] in str(exc) or "ERR_" in str(exc)
        page.get_by_role("button", name="Withdraw").click()
        expect(page.get_by_text("No app is connected.")).to_be_visible()
        checked.goto(url)
        expect(checked.get_by_role("heading", name="Connect Acme Backpack?")).to_be_visible()
        accessible(checked, "learner-consent", violations)
        fresh = chromium.new_context(bypass_csp=True)
        try:
            signed_out = fresh.new_page()
            signed_out.goto(url)
            accessible(signed_out, "learner-sign-in", violations)
            signed_out.get_by_label("Email address").fill(ADA)
            signed_out.get_by_role("button", name="Send code").click()
            accessible(signed_out, "learner-code", violations)
        finally:
            fresh.close()
    finally:
        audit.close()
        context.close()
    assert violations == {name: [] for name in violations}, violations
