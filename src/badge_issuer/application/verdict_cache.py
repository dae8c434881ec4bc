"""The badge page's recent verdicts: a short, bounded, thread-safe memo of verification reports.

The badge page verified its credential on every view (~0.1 s of CPU on a busy machine): a badge
shared on a social network is viewed many times a minute. A report is kept for ``ttl`` seconds
under the credential's id *and its stored record version* (status and ``updated_at``): revoking,
suspending or unsuspending changes the record, so the next view verifies again at once, in every
process (``serve --workers N``) and on every host, with no message between them. What the record
does not show (an issuer's key retired, a credential's ``validUntil`` passing) counts within
``ttl``. A report that could not be completed (a check ``indeterminate``) is never kept, so a
status list that could not be read is tried again on the next view. At most ``maxsize`` reports
are kept (least recently used dropped first); every operation holds one lock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from badge_issuer.checks import INDETERMINATE
from badge_issuer.verification import VerificationReport

TTL_SECONDS = 60.0
MAX_VERDICTS = 2048


class VerdictCache:
    """Reports by key (credential id and record version), for ``ttl`` seconds, at most ``maxsize``."""

    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        maxsize: int = MAX_VERDICTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.maxsize, self._clock = ttl, maxsize, clock
        self._lock = threading.Lock()
        self._reports: OrderedDict[Hashable, tuple[float, VerificationReport]] = OrderedDict()

    def get(self, key: Hashable) -> VerificationReport | None:
        """The report kept under ``key``, unless it is older than ``ttl`` (then it is dropped)."""
        now = self._clock()
        with self._lock:
            found = self._reports.get(key)
            if found is None:
                return None
            if now - found[0] >= self.ttl:
                del self._reports[key]
                return None
            self._reports.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, report: VerificationReport) -> None:
        """Keep ``report`` (not when a check could not be completed)."""
        if any(result.status == INDETERMINATE for result in report.checks):
            return
        now = self._clock()
        with self._lock:
            self._reports[key] = (now, report)
            self._reports.move_to_end(key)
            while len(self._reports) > self.maxsize:
                self._reports.popitem(last=False)

    def verdict(
        self, key: Hashable, verify: Callable[[], VerificationReport], *, before_verifying: Callable[[], None]
    ) -> VerificationReport:
        """The kept report, or ``verify()``'s (kept): ``before_verifying`` runs only then (the
        bound on verifications pages may cause; it may raise)."""
        report = self.get(key)
        if report is None:
            before_verifying()
            report = verify()
            self.put(key, report)
        return report

    def __len__(self) -> int:
        with self._lock:
            return len(self._reports)
