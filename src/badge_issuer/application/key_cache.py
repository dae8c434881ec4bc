"""API keys read a moment ago, kept so that a busy client does not pay a lookup on every request.

An LMS issuing hundreds of awards a second sends the same API key with each request, and reading
its row was a statement per request: a third of the statements of an award issued in a group, and
about 6 % of the serving process's time. :class:`ApiKeyCache` keeps each key's row (never whether
a secret matched: the secret is checked against the kept hash on every request) for ``seconds``.

What a kept row can make late, and by how much:

- **A revocation in this process** takes effect at once: ``tenants.revoke_api_client`` calls
  :meth:`ApiKeyCache.forget` once its transaction has committed, and a read that began before the
  revocation committed cannot put its older row back (every ``forget`` starts a new generation,
  and a row read in an older one is not kept).
- **A revocation in another process** (another uvicorn worker, another host, the command line)
  takes effect here within ``seconds`` of its commit: a row is kept for ``seconds`` from the moment
  its read began. ``BADGE_API_KEY_CACHE_SECONDS=0`` reads every time.
- **An unknown key** is never kept, so a key created elsewhere works at once, and requests with
  made-up key ids cannot fill the cache. At most ``maxsize`` rows are kept (emptied when full).

Thread-safe: request threads share one cache per Services (one per process), and every operation
holds its lock; the read itself runs outside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from badge_issuer.db.issuers import ApiKeyRow

#: rows kept at most (a deployment has far fewer API keys)
MAX_KEYS = 10_000


class ApiKeyCache:
    """Rows of API keys by key id, each kept ``seconds`` from when it was read (0: none kept)."""

    def __init__(
        self,
        seconds: float,
        *,
        maxsize: int = MAX_KEYS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds < 0 or maxsize < 1:
            raise ValueError("an API key cache keeps rows for 0 or more seconds, at least one row")
        self.seconds = seconds
        self.maxsize = maxsize
        self._monotonic = monotonic
        #: key id → (when its read began, its row)
        self._rows: dict[str, tuple[float, ApiKeyRow]] = {}
        #: one more with every ``forget``: a read begun in an older generation is not kept
        self._generation = 0
        self._lock = threading.Lock()

    def row(self, key_id: str, read: Callable[[str], ApiKeyRow | None]) -> ApiKeyRow | None:
        """The row of ``key_id``: kept from a read less than ``seconds`` ago, else ``read(key_id)``."""
        if self.seconds <= 0:
            return read(key_id)
        began = self._monotonic()
        with self._lock:
            kept = self._rows.get(key_id)
            generation = self._generation
        if kept is not None and began - kept[0] < self.seconds:
            return kept[1]
        found = read(key_id)
        if found is not None:
            with self._lock:
                if generation == self._generation:
                    if key_id not in self._rows and len(self._rows) >= self.maxsize:
                        self._rows.clear()
                    self._rows[key_id] = (began, found)
        return found

    def forget(self, key_id: str) -> None:
        """Drop ``key_id``'s row (its client changed); reads under way are not kept either."""
        with self._lock:
            self._generation += 1
            self._rows.pop(key_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)
