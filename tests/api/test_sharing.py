"""Sharing a badge: LinkedIn's add-to-profile URL and the inline SVG QR code."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import qrcode

from badge_issuer.api.sharing import QUIET_ZONE, linkedin_url, qr_svg

URL = "https://badges.example.edu/credentials/4b0c7f0e-52d4-4f43-9d59-0d3c0a4ef001"


def test_linkedin_url_names_organization_dates_id_and_url() -> None:
    link = linkedin_url(
        name="Data & Python",
        organization_name="Example University",
        organization_id=None,
        issued="2026-03-05T10:00:00Z",
        expires="2028-11-30T00:00:00Z",
        credential_id="4b0c",
        credential_url=URL,
    )
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.linkedin.com/profile/add"
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Data & Python"),
        ("organizationName", "Example University"),
        ("issueYear", "2026"),
        ("issueMonth", "3"),
        ("expirationYear", "2028"),
        ("expirationMonth", "11"),
        ("certUrl", URL),
        ("certId", "4b0c"),
    ]


def test_linkedin_url_prefers_the_organization_id_and_leaves_out_unknown_dates() -> None:
    link = linkedin_url(
        name="B",
        organization_name="Example University",
        organization_id="1337",
        issued="not a date",
        expires=None,
        credential_id="id",
        credential_url=URL,
    )
    query = dict(parse_qsl(urlsplit(link).query))
    assert query["organizationId"] == "1337" and "organizationName" not in query
    assert not {"issueYear", "issueMonth", "expirationYear", "expirationMonth"} & set(query)


def test_the_qr_code_draws_exactly_the_modules_of_the_url() -> None:
    svg = str(qr_svg(URL, title='Scan <me> & "go"'))
    assert URL not in svg  # only modules, no text to escape
    assert '<title id="qr-title">Scan &lt;me&gt; &amp; &#34;go&#34;</title>' in svg
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", svg)}
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(URL)
    code.make(fit=True)
    expected = {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}
    assert drawn == expected and size == len(code.get_matrix())
    assert all(QUIET_ZONE <= x < size - QUIET_ZONE for x, _ in drawn)  # the quiet zone stays light
