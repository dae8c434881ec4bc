"""An injectable clock: production code never calls ``datetime.now`` directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC, truncated to whole seconds (as credentials carry it)."""
    return datetime.now(UTC).replace(microsecond=0)


class FixedClock:
    """A clock frozen at one moment; an object rather than a closure so that it can be pickled
    (verification worker processes get the application's clock)."""

    def __init__(self, at: datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def fixed_clock(at: datetime) -> Clock:
    """A clock frozen at ``at`` (tests, reproducible signing)."""
    return FixedClock(at)


def isoformat_z(moment: datetime) -> str:
    """XML Schema dateTimeStamp with a ``Z`` suffix, the form OB 3.0 examples use."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
