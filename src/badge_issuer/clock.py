"""An injectable clock: production code never calls ``datetime.now`` directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC, truncated to whole seconds (as credentials carry it)."""
    return datetime.now(UTC).replace(microsecond=0)


def fixed_clock(at: datetime) -> Clock:
    """A clock frozen at ``at`` (tests, reproducible signing)."""
    frozen = at if at.tzinfo else at.replace(tzinfo=UTC)
    return lambda: frozen


def isoformat_z(moment: datetime) -> str:
    """XML Schema dateTimeStamp with a ``Z`` suffix, the form OB 3.0 examples use."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
