"""Content negotiation: only a client that prefers text/html over every JSON type gets a page."""

from __future__ import annotations

import pytest

from badge_issuer.api.negotiation import MAX_ACCEPT, prefers_html, quality

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept", [CHROME, FIREFOX, "text/html", "text/*", "text/html, application/json;q=0.9"]
)
def test_browsers_get_the_page(accept: str) -> None:
    assert prefers_html(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",  # curl, most HTTP libraries: a tie goes to the document
        "application/json",
        "application/ld+json",
        "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.9, */*;q=0.5",
        "text/html;q=0.5, */*",
        "text/html, application/vc+ld+json",
        "text/html;q=0, */*",
        "text/html;q=bogus",
        "image/png",
        "text/html" + ", x/y" * MAX_ACCEPT,  # too long to read: the default
    ],
)
def test_machines_keep_the_document(accept: str | None) -> None:
    assert not prefers_html(accept)


def test_the_most_specific_range_decides_the_quality() -> None:
    accept = "text/*;q=0.3, text/html;q=0.7, */*;Q=0.1"
    assert quality(accept, "text/html") == 0.7
    assert quality(accept, "text/plain") == 0.3
    assert quality(accept, "application/json") == 0.1
    assert quality("text/html;q=7", "text/html") == 1.0  # clamped
    assert quality("application/json", "text/html") == 0.0
