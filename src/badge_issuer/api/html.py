"""Server-rendered pages: the Jinja2 templates of one app, its stylesheet, and the headers pages carry.

Templates live in ``api/templates`` (package data) and are rendered with autoescaping on for every
template and undefined names as errors. Pages use no script at all: the Content-Security-Policy
allows the app's own stylesheet and images (and https images, for issuers' logos hosted elsewhere),
forms posting back to the app, and nothing else; no page may be framed. Errors met while building
a page become an HTML page with the status the API would answer (``problems.domain_problem``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from badge_issuer import errors
from badge_issuer.api.problems import domain_problem

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STYLESHEET = PACKAGE / "static" / "pages.css"
STYLESHEET_PATH = "/assets/pages.css"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' https:; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # a badge page's verdict is live: caches must ask again every time
    "Cache-Control": "no-cache",
}

#: what each verification check establishes, in words
CHECK_TITLES = {
    "format": "Readable as a badge",
    "context": "Known vocabulary (JSON-LD contexts)",
    "schema": "Open Badges 3.0 structure",
    "proof": "Digital signature",
    "issuer_key": "Signed with the issuer's own key",
    "validity": "Validity dates",
    "status": "Not revoked or suspended",
    "endorsements": "Endorsements",
    "clr": "Credentials in the learner record",
    "recipient": "Recipient",
    "presentation_proof": "Signature of the presentation",
    "holder": "Holder of the presentation",
}
STATUS_WORDS = {
    "passed": "Passed",
    "failed": "Failed",
    "warning": "Warning",
    "indeterminate": "Could not be checked",
    "skipped": "Not run",
}


def human_date(value: str | None) -> str:
    """``2026-11-30T09:30:00Z`` → ``30 November 2026`` (UTC); text that is no date is shown as is."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{moment.day} {moment:%B %Y}"


class Pages:
    """The page renderer of one app (its own Jinja environment: nothing shared between apps)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["human_date"] = human_date
        self.env.globals.update(
            base=self.base_url,
            stylesheet=f"{self.base_url}{STYLESHEET_PATH}",
            check_titles=CHECK_TITLES,
            status_words=STATUS_WORDS,
        )

    def render(
        self, template: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> Response:
        body = self.env.get_template(template).render(**context)
        return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})

    def error(
        self, exc: errors.BadgeIssuerError, *, template: str = "error.html", **context: Any
    ) -> Response:
        """``template`` showing a domain error, with the status its problem+json would have."""
        problem = domain_problem(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.RateLimited) else None
        return self.render(
            template,
            status=problem["status"],
            headers=headers,
            title=problem["title"],
            detail=problem.get("detail", ""),
            error=problem.get("detail") or problem["title"],
            error_status=problem["status"],
            **context,
        )
