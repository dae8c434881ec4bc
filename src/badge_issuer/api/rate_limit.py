"""Per-client rate limits on public routes, with the ``limits`` library (in-memory, thread-safe).

A :class:`RateLimit` is one named budget of requests per client IP (e.g. ``"60/minute"``, moving
window); ``create_app`` keeps them in ``app.state.rate_limits`` by name, and a route joins one with
``dependencies=[Depends(rate_limited("verify"))]`` — the public verify routes share ``"verify"``,
and a future public route can join it or get a name of its own. Past the limit the request is
refused before its body is read: ``errors.RateLimited``, answered 429 problem+json with
``Retry-After``. An empty spec (or ``off``) turns a limit off.

The client is the connection's peer address; behind a reverse proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips …`` so that the peer is the real client.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from badge_issuer.errors import ConfigurationError, RateLimited

OFF = ("", "off", "none", "0")


def parse_limit(spec: str) -> RateLimitItem | None:
    """``"60/minute"`` → the limit; None when ``spec`` turns limiting off (ConfigurationError if
    it cannot be read)."""
    if spec.strip().lower() in OFF:
        return None
    try:
        return parse(spec)
    except ValueError as exc:
        raise ConfigurationError(f"rate limit {spec!r} is not like '60/minute': {exc}") from None


class RateLimit:
    """Requests per client within a moving window, for the routes sharing ``name``."""

    def __init__(self, name: str, spec: str, *, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.item = parse_limit(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._clock = clock

    def hit(self, client: str) -> None:
        """Count one request of ``client``; RateLimited when it is over the limit."""
        if self.item is None:
            return
        if self._limiter.hit(self.item, self.name, client):
            return
        reset = self._limiter.get_window_stats(self.item, self.name, client).reset_time
        retry_after = max(1, math.ceil(reset - self._clock()))
        raise RateLimited(
            f"too many requests from this client: at most {self.item} on these routes; "
            f"retry after {retry_after} s",
            retry_after=retry_after,
        )


def rate_limited(name: str) -> Callable[[Request], Awaitable[None]]:
    """A route dependency counting the request against the application's ``name`` limit.

    async: counting is a few dict operations in memory, never worth the thread pool's round trip
    (FastAPI runs a sync dependency there)."""

    async def dependency(request: Request) -> None:
        limits: dict[str, RateLimit] = request.app.state.rate_limits
        client = request.client.host if request.client is not None else "unknown"
        limits[name].hit(client)

    return dependency
