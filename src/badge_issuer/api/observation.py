"""The outermost ASGI middleware: request id in and out, one access log line, HTTP metrics.

The access line names the route, status and duration; its target passes through
``redact_target`` so a ``?recipient=ada@…`` never reaches the log in clear. uvicorn's own access
log is switched off by ``badge-issuer serve`` (and redacted if someone turns it on).
"""

from __future__ import annotations

import logging
import time

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from badge_issuer.observability.logs import accept_request_id, redact_target, request_id_scope
from badge_issuer.observability.metrics import Metrics

access_log = logging.getLogger("badge_issuer.access")

REQUEST_ID_HEADER = b"x-request-id"
#: the route label of requests no route matched (keeps the metric's label set bounded)
UNMATCHED = "unmatched"
#: the status recorded for a request whose client went away before the answer (nginx's 499)
CLIENT_CLOSED = 499
#: what a client that hangs up looks like from inside the app: not an error of ours
DISCONNECTS: tuple[type[BaseException], ...] = (
    ClientDisconnect,
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    BrokenPipeError,
    ConnectionResetError,
)


def route_template(scope: Scope) -> str:
    """The path template of the route that served ``scope`` (``/issuers/{issuer}``), never the path.

    The router records the matched route in the scope; requests no route matched share one label.
    """
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class Observation:
    """Request ids, the access log and the request metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (
                value.decode("latin-1")
                for name, value in scope.get("headers", ())
                if name == REQUEST_ID_HEADER
            ),
            None,
        )
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        with request_id_scope(accept_request_id(incoming)) as request_id:
            try:
                await self.app(scope, receive, send_with_id)
            except DISCONNECTS as exc:
                # the answer has nobody to go to; an info line, no traceback, no "unhandled error"
                status = CLIENT_CLOSED
                access_log.info(
                    "client disconnected during %s %s (%s)",
                    scope["method"],
                    scope.get("path", ""),
                    type(exc).__name__,
                )
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope)
                self.metrics.request(route, scope["method"], status, seconds)
                if access_log.isEnabledFor(logging.INFO):  # nothing to build when it is off
                    target = scope.get("path", "")
                    if scope.get("query_string"):
                        target += "?" + scope["query_string"].decode("latin-1")
                    target = redact_target(target)
                    access_log.info(
                        "%s %s %d %.1fms",
                        scope["method"],
                        target,
                        status,
                        seconds * 1000,
                        extra={
                            "fields": {
                                "method": scope["method"],
                                "target": target,
                                "route": route,
                                "status": status,
                                "duration_ms": round(seconds * 1000, 1),
                            }
                        },
                    )
