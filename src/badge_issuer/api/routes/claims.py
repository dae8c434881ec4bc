"""The claim page: where a learner's claim link leads (HTML, in the style of the other pages).

It shows the badge and offers it to a wallet — an OpenID4VCI credential offer as a QR code and an
``openid-credential-offer://`` link — and as a plain download. When transaction codes go by
email, the page first asks for the address the badge was awarded to (a POST to the same URL).
The link is a secret, so the page is never cached and sends no referrer. Not part of the API
(left out of the OpenAPI document).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from badge_issuer import errors
from badge_issuer.api import sharing
from badge_issuer.api.deps import services_of
from badge_issuer.api.routes.pages import pages_of
from badge_issuer.application import claiming

router = APIRouter(include_in_schema=False)
SECRET_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MAX_FORM_BYTES = 4096


@router.get("/claims/{token}")
async def claim(request: Request, token: str) -> Response:
    return await _claim(request, token, None)


@router.post("/claims/{token}")
async def email_code(request: Request, token: str) -> Response:
    """The learner gives the address the badge was awarded to; the offer's tx_code goes there."""
    body = await request.body()
    fields = dict(parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True))
    return await _claim(request, token, fields.get("email", ""))


async def _claim(request: Request, token: str, address: str | None) -> Response:
    pages = pages_of(request)
    services = services_of(request)
    try:
        if address is None:
            page = await run_in_threadpool(claiming.claim_page, services, token)
        else:
            page = await run_in_threadpool(claiming.email_offer, services, token, address)
    except errors.BadgeIssuerError as exc:
        response = pages.error(exc)
        response.headers.update(SECRET_PAGE_HEADERS)
        return response
    qr = None
    if page.offer is not None:
        qr = sharing.qr_svg(
            page.offer.by_reference_uri, title="QR code of the credential offer for your wallet"
        )
    return pages.render("claim.html", page=page, qr=qr, headers=SECRET_PAGE_HEADERS)
