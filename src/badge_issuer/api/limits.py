"""Request body size limit, as a small ASGI middleware in front of every route.

A declared ``Content-Length`` over the limit is refused before any byte is read. Bodies without
one (chunked) are counted as they stream in: the first chunk past the limit raises
``errors.PayloadTooLarge`` inside the application, whose handler answers 413 problem+json; if
nothing has been sent yet when the error reaches this middleware, it answers the 413 itself —
to a browser posting the verification page's form, as that page saying so.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from badge_issuer.api.html import Pages
from badge_issuer.api.negotiation import prefers_html
from badge_issuer.api.problems import problem_for
from badge_issuer.errors import PayloadTooLarge

VERIFY_PAGE = "/verify"


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413 (given ``pages``, the verification page
    for a browser's form post to ``/verify``)."""

    def __init__(self, app: ASGIApp, max_bytes: int, pages: Pages | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.pages = pages

    def _refusal(self, scope: Scope, exc: PayloadTooLarge) -> Response:
        if (
            self.pages is not None
            and scope["path"] == VERIFY_PAGE
            and prefers_html(Headers(scope=scope).get("accept"))
        ):
            return self.pages.error(exc, template="verify.html", verdict=None)
        return problem_for(exc)

    def _error(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is larger than the {self.max_bytes}-byte limit")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value.decode("latin-1").strip()
                if declared.isdigit() and int(declared) > self.max_bytes:
                    await self._refusal(scope, self._error())(scope, receive, send)
                    return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._error()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except PayloadTooLarge as exc:
            if started:
                raise
            await self._refusal(scope, exc)(scope, receive, send)
