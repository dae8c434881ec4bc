"""The pages for people over HTTP, against the real app under uvicorn: content negotiation (machines
keep the JSON-LD byte for byte), what the badge page shows and never shows, its sharing links and
preview tags, the verification page's form handling, and the issuer, achievement and landing pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from markupsafe import escape

from badge_issuer.api.html import CONTENT_SECURITY_POLICY
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.badges import Issuer, badge, present, status_entry
from tests.conftest import LiveServer

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


class Page(HTMLParser):
    """The parts of a page the tests read: meta tags, links, and the text a person sees."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._open_link: list[str] | None = None
        self._text: list[str] = []
        self._skip = 0
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        if tag == "a":
            self._open_link = [values.get("href", "")]
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open_link is not None:
            self.links.append((self._open_link[0], " ".join("".join(self._open_link[1:]).split())))
            self._open_link = None
        if tag in ("script", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._open_link is not None:
            self._open_link.append(data)
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())

    def link(self, text: str) -> str:
        return next(href for href, label in self.links if label == text)


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(verify_rate_limit="off"), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


@pytest.fixture
def any_db_tenant(database_url: str, live_server: Callable[..., LiveServer]) -> Tenant:
    """A tenant on SQLite, and on PostgreSQL too when BADGE_TEST_POSTGRES_URL is set."""
    tenant = bootstrap(live_server(verify_rate_limit="off", database_url=database_url), "uni", "--suspension")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def award(tenant: Tenant, slug: str = "python-data", **body: Any) -> dict[str, Any]:
    request = {"recipient": {"email": "ada@example.org", "name": "Ada Lovelace"}, **body}
    response = httpx.post(
        tenant.url(f"/achievements/{slug}/credentials"), json=request, headers=tenant.admin, timeout=30
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def varies_by_accept(response: httpx.Response) -> bool:
    return "accept" in {token.strip().lower() for token in response.headers.get("vary", "").split(",")}


def page(url: str, status: int = 200) -> tuple[httpx.Response, Page]:
    response = httpx.get(url, headers={"Accept": BROWSER}, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response, Page(response.text)


def test_machines_keep_the_json_ld_byte_for_byte_and_browsers_get_the_badge_page(tenant: Tenant) -> None:
    issued = award(tenant)
    url = issued["credentialId"]
    download = httpx.get(f"{url}/credential.json", headers={"Accept": BROWSER})
    assert download.headers["content-type"] == "application/vc+ld+json"
    assert "attachment" in download.headers["content-disposition"]
    assert json.loads(download.content) == issued["credential"]
    for accept in (None, "*/*", "application/json", "application/vc+ld+json", "text/html;q=0.5, */*"):
        response = httpx.get(url, headers={"Accept": accept} if accept else {})
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == "application/vc+ld+json", accept
        assert response.content == download.content, accept  # exactly as signed and stored
        assert varies_by_accept(response)
        assert response.headers["cache-control"] == "public, max-age=3600"

    response, shown = page(url)
    assert varies_by_accept(response)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script" not in response.text
    assert "Data Analysis with Python" in shown.text
    assert "Verified" in shown.text
    assert "Awarded to Ada Lovelace" in shown.text
    assert "Passed the final project with at least 70%." in shown.text  # criteria
    assert "Data analysis (ESCO)" in shown.text  # alignment
    assert "uni University" in shown.text
    assert shown.link("Download the badge (PNG)") == issued["links"]["bakedPng"]
    assert shown.link("Download the badge (SVG)") == issued["links"]["bakedSvg"]
    assert shown.link("Download the credential (JSON)") == f"{url}/credential.json"
    assert ("input", {"id": "share-link", "type": "url", "value": url, "readonly": ""}) in shown.elements
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in response.text and "qr-title" in response.text
    issued_on = datetime.fromisoformat(issued["credential"]["validFrom"])
    assert f"Issued {issued_on.day} {issued_on:%B %Y}" in shown.text
    assert "Expires never" in shown.text
    head = httpx.head(url, headers={"Accept": BROWSER})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "text/html; charset=utf-8"


def test_each_check_is_one_click_away_in_a_details_element(tenant: Tenant) -> None:
    response, _ = page(award(tenant)["credentialId"])
    details = response.text.split('<details class="how-checked">', 1)[1].split("</details>", 1)[0]
    assert "<summary>How this badge was checked (9 checks)</summary>" in details
    for title in ("Digital signature", "Signed with the issuer&#39;s own key", "Not revoked or suspended"):
        assert title in details


def test_the_recipients_email_and_hashes_never_appear(live_server: Callable[..., LiveServer]) -> None:
    tenant = bootstrap(live_server(verify_rate_limit="off", store_recipient_email=True), "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    named = award(tenant)
    hashed = named["credential"]["credentialSubject"]["identifier"][0]
    response, shown = page(named["credentialId"])
    assert "Awarded to Ada Lovelace" in shown.text
    for secret in ("ada@example.org", "ada%40example.org", hashed["identityHash"], hashed["salt"], "sha256$"):
        assert secret not in response.text, secret
    # a "name" that is an email address is not shown either; nor is anything without a name
    email_name = award(tenant, recipient={"email": "grace@example.org", "name": "grace@example.org"})
    response, shown = page(email_name["credentialId"])
    assert "grace@example.org" not in response.text and "Awarded to" not in shown.text
    anonymous = award(tenant, recipient={"email": "alan@example.org"})
    response, shown = page(anonymous["credentialId"])
    assert "alan@example.org" not in response.text and "Awarded to" not in shown.text


def test_hostile_text_is_escaped_everywhere(tenant: Tenant) -> None:
    achievement = {
        **ACHIEVEMENT,
        "slug": "hostile",
        "name": HOSTILE,
        "description": HOSTILE,
        "criteria": {"narrative": HOSTILE},
        "alignment": [
            {"targetName": HOSTILE, "targetUrl": "https://example.org/a", "targetFramework": HOSTILE}
        ],
        "tag": [HOSTILE],
    }
    created = httpx.post(tenant.url("/achievements"), json=achievement, headers=tenant.admin)
    assert created.status_code == 201, created.text
    issued = award(tenant, "hostile", recipient={"email": "ada@example.org", "name": HOSTILE})
    escaped = str(escape(HOSTILE))  # as Jinja escapes it
    for url in (
        issued["credentialId"],
        f"{tenant.server.url}/issuers/uni",
        f"{tenant.server.url}/issuers/uni/achievements/hostile",
    ):
        response, shown = page(url)
        assert "<script>alert(1)" not in response.text, url
        assert "<img src=x" not in response.text, url
        assert "onerror=alert(2)>" not in response.text.replace(escaped, ""), url
        assert escaped in response.text, url
        assert HOSTILE in shown.text, url  # a person still reads the text as it was written
    _, shown = page(issued["credentialId"])
    assert shown.meta["og:title"] == HOSTILE  # attributes are escaped and read back intact


def test_add_to_linkedin_names_the_certification(tenant: Tenant) -> None:
    until = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0)
    issued = award(tenant, validUntil=until.isoformat())
    _, shown = page(issued["credentialId"])
    link = urlsplit(shown.link("Add to LinkedIn profile"))
    assert (link.scheme, link.netloc, link.path) == ("https", "www.linkedin.com", "/profile/add")
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    issued_on = datetime.fromisoformat(issued["credential"]["validFrom"])
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Data Analysis with Python",
        "organizationName": "uni University",
        "issueYear": str(issued_on.year),
        "issueMonth": str(issued_on.month),
        "expirationYear": str(until.year),
        "expirationMonth": str(until.month),
        "certUrl": issued["credentialId"],
        "certId": issued["credentialId"].rsplit("/", 1)[1],
    }
    profile = {"name": "uni University", "linkedinOrganizationId": "1337"}
    put = httpx.put(tenant.url("/profile"), json=profile, headers=tenant.admin)
    assert put.status_code == 200, put.text
    assert put.json()["linkedinOrganizationId"] == "1337"
    assert "linkedinOrganizationId" not in json.dumps(put.json()["profile"])  # not published
    assert "1337" not in httpx.get(f"{tenant.server.url}/issuers/uni").text
    _, shown = page(issued["credentialId"])
    again = parse_qs(urlsplit(shown.link("Add to LinkedIn profile")).query)
    assert again["organizationId"] == ["1337"] and "organizationName" not in again
    refused = httpx.put(
        tenant.url("/profile"), json={**profile, "linkedinOrganizationId": "x1"}, headers=tenant.admin
    )
    assert refused.status_code == 422


def test_opengraph_and_twitter_tags_preview_the_badge_image(tenant: Tenant) -> None:
    issued = award(tenant)
    _, shown = page(issued["credentialId"])
    meta = shown.meta
    assert meta["og:title"] == meta["twitter:title"] == "Data Analysis with Python"
    assert meta["og:description"] == ACHIEVEMENT["description"] == meta["twitter:description"]
    assert meta["og:url"] == issued["credentialId"]
    assert meta["og:image"] == meta["twitter:image"] == issued["links"]["bakedPng"]
    assert meta["og:type"] == "website" and meta["twitter:card"] == "summary"
    assert meta["og:image:alt"] == "The badge Data Analysis with Python"
    image = httpx.get(meta["og:image"])  # what a link preview fetches: a PNG, public
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_revoked_suspended_and_expired_badges_say_so(any_db_tenant: Tenant) -> None:
    tenant = any_db_tenant
    revoked, suspended = award(tenant), award(tenant)
    for issued, action in ((revoked, "revoke"), (suspended, "suspend")):
        changed = httpx.post(
            tenant.url(f"/credentials/{issued['id']}/{action}"), json={"reason": "test"}, headers=tenant.admin
        )
        assert changed.status_code == 200, changed.text
    _, shown = page(revoked["credentialId"])
    assert "Revoked The issuer has revoked this badge" in shown.text
    assert "Verified" not in shown.text
    _, shown = page(suspended["credentialId"])
    assert "Suspended The issuer has suspended this badge" in shown.text
    expired = award(tenant, validFrom="2020-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z")
    _, shown = page(expired["credentialId"])
    assert "Expired This badge was valid, but its validity period has ended." in shown.text
    assert "Validity dates: expired on 2021-01-01" in shown.text
    assert "Expires 1 January 2021" in shown.text


def test_unknown_documents_are_html_for_browsers_and_problems_for_machines(tenant: Tenant) -> None:
    missing = f"{tenant.server.url}/credentials/00000000-0000-4000-8000-000000000000"
    response, shown = page(missing, 404)
    assert "Not found" in shown.text and varies_by_accept(response)
    assert httpx.get(missing).headers["content-type"] == "application/problem+json"
    page(f"{tenant.server.url}/issuers/nobody", 404)
    page(f"{tenant.server.url}/issuers/uni/achievements/none", 404)
    page(f"{tenant.server.url}/issuers/uni/achievements/python-data/versions/9", 404)


def test_issuer_and_achievement_pages_negotiate_like_the_badge(any_db_tenant: Tenant) -> None:
    tenant = any_db_tenant
    base = tenant.server.url
    award(tenant)
    award(tenant, recipient={"email": "grace@example.org"})
    for url in (f"{base}/issuers/uni", f"{base}/issuers/uni/achievements/python-data"):
        machine = httpx.get(url)
        assert machine.headers["content-type"] == "application/ld+json" and varies_by_accept(machine)
        assert httpx.get(url, headers={"Accept": "*/*"}).content == machine.content
        response, _ = page(url)
        assert varies_by_accept(response)
    _, shown = page(f"{base}/issuers/uni")
    assert "uni University" in shown.text and "Achievements" in shown.text
    assert (
        shown.link("Data Analysis with Python") == f"{base}/issuers/uni/achievements/python-data/versions/1"
    )
    _, shown = page(f"{base}/issuers/uni/achievements/python-data")
    assert "Awarded 2 times" in shown.text
    assert (
        "Passed the final project with at least 70%." in shown.text and "Data analysis (ESCO)" in shown.text
    )
    assert "ada@example.org" not in shown.text
    _, versioned = page(f"{base}/issuers/uni/achievements/python-data/versions/1")
    assert "Awarded 2 times" in versioned.text and "Version 1" in versioned.text


def test_the_landing_page_says_what_this_is_and_links_verification_and_the_api(tenant: Tenant) -> None:
    response, shown = page(f"{tenant.server.url}/")
    base = tenant.server.url
    assert "Open Badges 3.0" in shown.text and base in shown.text
    assert shown.link("Verify a badge") == f"{base}/verify"
    assert shown.link("API documentation") == f"{base}/docs"
    assert shown.link("uni University") == f"{base}/issuers/uni"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    css = httpx.get(f"{base}/assets/pages.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{base}/docs").status_code == 200


def verify_page(tenant: Tenant, status: int = 200, **parts: Any) -> tuple[httpx.Response, Page]:
    files = {name: value for name, value in parts.items() if isinstance(value, tuple)}
    data = {name: value for name, value in parts.items() if isinstance(value, str)}
    response = httpx.post(f"{tenant.server.url}/verify", files=files or None, data=data, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return response, Page(response.text)


def test_the_verification_page_verifies_a_file_pasted_text_or_a_url(tenant: Tenant) -> None:
    issued = award(tenant)
    form = Page(httpx.get(f"{tenant.server.url}/verify").text)
    labelled = {values["for"] for tag, values in form.elements if tag == "label"}
    assert {"badge-file", "badge-text", "badge-url"} <= labelled
    png = httpx.get(issued["links"]["bakedPng"]).content
    _, shown = verify_page(tenant, file=("badge.png", png, "image/png"))
    assert "Result ✓ Verified" in shown.text, shown.text
    assert "Achievement Data Analysis with Python" in shown.text
    assert "Every check, the failing first" in shown.text
    _, shown = verify_page(tenant, text=json.dumps(issued["credential"]))
    assert "Result ✓ Verified" in shown.text

    tampered = {**issued["credential"], "name": "Something else"}
    response, shown = verify_page(tenant, text=json.dumps(tampered))
    assert "Result ! Not valid" in shown.text
    checks = response.text.split('<ol class="checks">', 1)[1]
    assert checks.index("check-failed") < checks.index("check-passed")  # the failing check first
    assert "Digital signature" in checks.split("check-passed", 1)[0]

    _, shown = verify_page(tenant, url="http://127.0.0.1:1/credential")
    assert "Not valid" in shown.text and "could not be fetched" in shown.text


def test_the_verification_page_explains_what_it_could_not_use(tenant: Tenant) -> None:
    _, shown = verify_page(tenant, 400, text="  ")
    assert "Choose a badge file, paste the badge, or give its web address." in shown.text
    _, shown = verify_page(tenant, 400, text="{}", url="https://example.org/badge")
    assert "Give the badge one way only (this form had: text, url)." in shown.text
    _, shown = verify_page(tenant, text="not a badge")
    assert "Not valid" in shown.text and "not a credential" in shown.text
    big = "x" * (tenant.server.settings.max_body_bytes + 1)
    response = httpx.post(f"{tenant.server.url}/verify", data={"text": big}, headers={"Accept": BROWSER})
    assert response.status_code == 413 and response.headers["content-type"] == "text/html; charset=utf-8"
    assert "The badge could not be read The request body is larger than the" in Page(response.text).text
    api = httpx.post(f"{tenant.server.url}/api/v1/verify", content=big, headers={"Accept": BROWSER})
    assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"
    machine = httpx.post(f"{tenant.server.url}/verify", data={"text": big})
    assert machine.status_code == 413 and machine.headers["content-type"] == "application/problem+json"


def test_badge_pages_keep_their_verdict_and_have_their_own_limit(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server(verify_rate_limit="2/minute", page_verify_rate_limit="2/minute")
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    first, second, third = award(tenant), award(tenant), award(tenant)
    for _ in range(4):  # one verification, kept: four views cost one of the page limit
        _, shown = page(first["credentialId"])
        assert "Verified" in shown.text, shown.text
    page(second["credentialId"])
    response = httpx.get(third["credentialId"], headers={"Accept": BROWSER})  # a third fresh one
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    page(first["credentialId"])  # still kept: no verification, nothing counted
    # the employers' verify limit was never touched by the pages
    verify_page(tenant, text="{}")
    verify_page(tenant, text="{}")
    response, shown = verify_page(tenant, 429, text="{}")
    assert "Too many requests Too many requests from this client" in shown.text
    assert httpx.get(third["credentialId"]).status_code == 200  # machines reading the document are not


def test_a_kept_verdict_gives_way_to_a_revocation_at_once(tenant: Tenant) -> None:
    issued = award(tenant)
    _, shown = page(issued["credentialId"])
    assert "Verified" in shown.text
    page(issued["credentialId"])  # kept now
    revoked = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "test"}, headers=tenant.admin
    )
    assert revoked.status_code == 200, revoked.text
    _, shown = page(issued["credentialId"])
    assert "Revoked The issuer has revoked this badge" in shown.text
    assert "Verified" not in shown.text


def test_a_status_list_that_cannot_be_read_makes_the_badge_could_not_be_checked(tenant: Tenant) -> None:
    issuer = Issuer()
    signed = issuer.sign(
        badge(issuer, credentialStatus=status_entry(3))
    )  # its list is on a host we cannot reach
    response, shown = verify_page(tenant, text=json.dumps(signed))
    assert "Result ! Could not be checked" in shown.text
    assert "Part of the verification could not be completed" in shown.text
    checks = response.text.split('<ol class="checks">', 1)[1]
    assert checks.index("check-indeterminate") < checks.index("check-passed")
    assert "could not check whether it is revoked" in shown.text


def test_a_presentation_shows_a_verdict_for_each_credential(tenant: Tenant) -> None:
    holder = Issuer("Ada")
    ours = award(tenant)["credential"]
    presentation = present(holder, [ours])
    _, shown = verify_page(tenant, text=json.dumps(presentation))
    assert "Credential 1 of the presentation ✓ Verified" in shown.text
    assert f"Presented by {holder.did}" in shown.text
    assert "Signature of the presentation" in shown.text


def test_a_generic_credential_issued_through_the_vc_api_has_a_page_too(tenant: Tenant) -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "credentialSubject": {
            "id": "did:example:ada",
            "name": "Ada Lovelace",
            "alumniOf": "Example University",
        },
    }
    response = httpx.post(
        f"{tenant.server.url}/credentials/issue",
        json={"credential": credential},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    url = response.headers["location"]
    assert httpx.get(url).json() == response.json()["verifiableCredential"]  # machines: as before
    _, shown = page(url)
    assert "Verifiable Credential ExampleAlumniCredential Awarded to Ada Lovelace" in shown.text
    assert shown.link("uni University") == f"{tenant.server.url}/issuers/uni"  # it names only a DID
    assert "✓ Verified" in shown.text


def test_the_verification_page_can_check_the_recipients_email_address(tenant: Tenant) -> None:
    issued = award(tenant)
    png = ("badge.png", httpx.get(issued["links"]["bakedPng"]).content, "image/png")
    response, shown = verify_page(tenant, file=png, recipient="Ada@Example.org")
    assert "Result ✓ Verified" in shown.text
    assert "Passed Recipient the given email address is the recipient" in shown.text
    assert "Ada@Example.org" not in response.text  # what was typed is not echoed
    _, shown = verify_page(tenant, file=png, recipient="grace@example.org")
    assert "Result ! Not valid" in shown.text
    assert "Recipient: the given email address is not the recipient of this badge" in shown.text
    _, shown = verify_page(tenant, 400, file=png, recipient="x" * 321)
    assert "The email address is longer than 320 characters." in shown.text
