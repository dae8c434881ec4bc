"""The pages for people: the landing page, the verification page, and the HTML side of the badge,
issuer and achievement URLs (``public.py`` hands a request here when it prefers ``text/html``).

Routes only translate: the application layer builds what a page shows (``application/pages.py``)
and verifies (``application/verifying.py``, the same use case and bounds as ``POST
/api/v1/verify``; the verification page shares its rate limit, while the badge page keeps its
verdict a minute per record version and counts only fresh verifications, against a limit of its
own); ``api/html.py`` renders it. None of these pages is part of the API, so
they are left out of the OpenAPI document (the negotiated document URLs are in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from badge_issuer import errors
from badge_issuer.api import sharing
from badge_issuer.api.deps import services_of
from badge_issuer.api.html import STYLESHEET, STYLESHEET_PATH, Pages
from badge_issuer.api.rate_limit import RateLimit
from badge_issuer.application import pages as use_cases
from badge_issuer.application import verifying
from badge_issuer.application.verdicts import verdict_of

router = APIRouter(include_in_schema=False)
MAX_URL_CHARS = 2000
MAX_RECIPIENT_CHARS = 320
_URL = re.compile(r"https?://\S+")


def pages_of(request: Request) -> Pages:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages


def _count_verification(request: Request, name: str = "verify") -> None:
    """Count a verification against the client's ``name`` limit (RateLimited past it): the
    verification page shares the public verify routes' limit; the badge page has its own
    (``BADGE_PAGE_VERIFY_RATE_LIMIT``), counted only when it verifies anew (``verdict_cache``)."""
    limit: RateLimit = request.app.state.rate_limits[name]
    limit.hit(request.client.host if request.client is not None else "unknown")


@router.get("/")
def landing(request: Request) -> Response:
    page = use_cases.landing_page(services_of(request))
    return pages_of(request).render("index.html", issuers=page.issuers)


@router.get(STYLESHEET_PATH)
def stylesheet() -> Response:
    return Response(
        STYLESHEET.read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return pages_of(request).render("verify.html", verdict=None, error=None)


@router.post("/verify")
async def verify_submitted(request: Request) -> Response:
    """Verify what the form sent (a file, pasted text or a URL) and show the report; nothing is stored."""
    pages = pages_of(request)
    try:
        _count_verification(request)
        presented = await _presented(request)
        report = await run_in_threadpool(
            verifying.verify_presented,
            services_of(request),
            presented.data,
            content_type=presented.content_type,
            url=presented.url,
            recipient=presented.recipient,
            # the heavy lane's fairness: one heavy verification at a time per client
            client=request.client.host if request.client is not None else None,
        )
    except errors.BadgeIssuerError as exc:
        return pages.error(exc, template="verify.html", verdict=None)
    return pages.render("verify.html", verdict=verdict_of(report), error=None)


@dataclass(frozen=True)
class Submitted:
    data: bytes
    content_type: str | None
    url: str | None
    #: an email address to compare with the badge's recipient (optional)
    recipient: str | None


async def _presented(request: Request) -> Submitted:
    """What the form sent: exactly one of a file, pasted text or a URL, and perhaps an email address."""
    async with request.form(max_files=1, max_fields=6) as form:
        upload = form.get("file")
        file_data = b""
        file_type: str | None = None
        if isinstance(upload, UploadFile):
            file_data = await upload.read()
            file_type = upload.content_type
        fields = {name: form.get(name) for name in ("text", "url", "recipient")}
    pasted, address, email = (value.strip() if isinstance(value, str) else "" for value in fields.values())
    if pasted and _URL.fullmatch(pasted) and not address:  # a URL pasted into the text box
        pasted, address = "", pasted
    given = [name for name, value in (("file", file_data), ("text", pasted), ("url", address)) if value]
    if not given:
        raise errors.ParseError("choose a badge file, paste the badge, or give its web address")
    if len(given) > 1:
        raise errors.ParseError(f"give the badge one way only (this form had: {', '.join(given)})")
    if len(address) > MAX_URL_CHARS:
        raise errors.ParseError(f"the web address is longer than {MAX_URL_CHARS} characters")
    if len(email) > MAX_RECIPIENT_CHARS:
        raise errors.ParseError(f"the email address is longer than {MAX_RECIPIENT_CHARS} characters")
    recipient = email or None
    if address:
        return Submitted(b"", None, address, recipient)
    if pasted:
        return Submitted(pasted.encode("utf-8"), None, None, recipient)
    return Submitted(file_data, file_type, None, recipient)


def badge(request: Request, credential_id: str) -> Response:
    """The badge page: the credential as a person reads it, with a live verdict."""
    pages = pages_of(request)
    try:
        page = use_cases.badge_page(
            services_of(request),
            credential_id,
            before_verifying=lambda: _count_verification(request, "pages"),
        )
    except errors.BadgeIssuerError as exc:
        return pages.error(exc)
    achievement, issuer = page.achievement, page.issuer
    linkedin = sharing.linkedin_url(
        name=achievement.name,
        organization_name=issuer.name,
        organization_id=issuer.linkedin_organization_id,
        issued=page.issued,
        expires=page.expires,
        credential_id=page.credential_id,
        credential_url=page.url,
    )
    description = achievement.description or f"{achievement.name}, issued by {issuer.name}"
    return pages.render(
        "badge.html",
        page=page,
        linkedin=linkedin,
        json_url=f"{page.url}/credential.json",
        qr=sharing.qr_svg(page.url, title=f"QR code of this page's address: {page.url}"),
        description=description if len(description) <= 300 else description[:299] + "…",
    )


def issuer(request: Request, slug: str) -> Response:
    pages = pages_of(request)
    try:
        page = use_cases.issuer_page(services_of(request), slug)
    except errors.BadgeIssuerError as exc:
        return pages.error(exc)
    return pages.render("issuer.html", issuer=page.issuer, achievements=page.achievements)


def achievement(request: Request, slug: str, achievement: str, version: int | None) -> Response:
    pages = pages_of(request)
    try:
        page = use_cases.achievement_page(services_of(request), slug, achievement, version)
    except errors.BadgeIssuerError as exc:
        return pages.error(exc)
    return pages.render(
        "achievement.html",
        achievement=page.achievement,
        issuer=page.issuer,
        version=page.version,
        current_version=page.current_version,
        awarded=page.awarded,
    )
