"""Single awards that arrive together, issued together (#11).

Every award of a badge class costs the same dozen statements and two commits when issued alone
(``issuing.run_issue``); under load, about a third of an award's CPU on the server went to that
database work. So concurrent requests for awards of one badge class by one client are grouped
(``coalescer.Coalescer``, one per process; other badge classes and clients never wait for them): a
request alone is issued at once, alone, exactly as before; requests that arrive while an award of
their group is being issued wait for it to end and are then issued together, on the bulk path
(``bulk_issuing.issue_commands``: a statement per step for the group, the outcomes, replays,
conflicts and request hashes of each award issued alone).

Each request still gets its own answer: its award, replayed or created, or its own error, and tells
its own award (metric, claim e-mail, audit line with its own request id: ``issuing.tell_issued``).
An award whose key a twin request holds is handed back to its request, which waits for the twin's
award as an award alone does (``run_issue``). A group that fails before any of its awards is stored
hands each award back to be issued alone, so one award's failure never sinks another's; one that
fails while its awards are being stored (some may be stored) hands back those with an
Idempotency-Key, which replay if they were, and answers the others with the error, which must not
be issued twice. The pathways requiring the badge class are read once per group, before it is
issued, and advanced by each request for its own recipient. With ``BADGE_ISSUE_GROUP_MAX=1`` every
award is issued alone, in its own request's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from badge_issuer.application.bulk_issuing import ChunkSpec, issue_commands
from badge_issuer.application.coalescer import FAILED, Coalescer
from badge_issuer.application.issuing import AlsoRead, run_issue, tell_issued, try_issue
from badge_issuer.application.services import Services
from badge_issuer.issuance import IssueCommand, IssuedBadge

log = logging.getLogger(__name__)

#: the slugs of the pathways of an issuer that require an achievement, read in a session
PathwaysIn = Callable[[Session, str, str], list[str]]


@dataclass(frozen=True)
class Awarded:
    """What a group gave one award: issued, or its own error, or neither (``alone``: to be issued
    alone by its request), and the pathways requiring its badge class."""

    issued: IssuedBadge | None = None
    error: Exception | None = None
    pathways: list[str] = field(default_factory=list)

    @property
    def alone(self) -> bool:
        return self.issued is None and self.error is None


def award(
    services: Services, command: IssueCommand, pathways_in: PathwaysIn
) -> tuple[IssuedBadge, list[str]]:
    """``command``'s award (issued with the awards of its badge class that arrive with it) and the
    pathways requiring its badge class."""
    if services.settings.issue_group_max > 1:

        def run(_group: Hashable, commands: Sequence[IssueCommand]) -> list[Awarded]:
            return _issue(services, commands, pathways_in)

        groups: Coalescer[IssueCommand, Awarded] = services.award_groups
        got = groups.submit((command.issuer_slug, command.achievement_slug, command.client_id), command, run)
        if got is not FAILED and not got.alone:
            if got.error is not None:
                raise got.error.with_traceback(None)
            assert got.issued is not None
            tell_issued(services, command, got.issued)
            return got.issued, got.pathways
    pathways, read_pathways = _reading_pathways(command, pathways_in)  # alone, waiting for a twin if need be
    return run_issue(services, command, read_pathways), pathways


def _issue(services: Services, commands: Sequence[IssueCommand], pathways_in: PathwaysIn) -> list[Awarded]:
    """One award as ``run_issue`` makes it (without waiting for a twin), or a group on the bulk path;
    no award is told here (its own request tells it)."""
    first = commands[0]
    services.metrics.issued_together(len(commands))
    if len(commands) == 1:
        pathways, read_pathways = _reading_pathways(first, pathways_in)
        try:
            issued = try_issue(services, first, read_pathways, tell=False)
        except Exception as exc:  # its own error, raised by its own request
            return [Awarded(error=exc)]
        return [Awarded(issued=issued, pathways=pathways)]
    with services.readers() as session:  # before the awards: a failure here has stored nothing
        pathways = pathways_in(session, first.issuer_slug, first.achievement_slug)
    spec = ChunkSpec(first.issuer_slug, first.achievement_slug, first.client_id, scope="")
    try:
        outcomes = issue_commands(services, spec, commands)
    except Exception as exc:  # some may be stored: a keyed award alone replays if it was
        log.warning("a group of %d awards failed while it was stored", len(commands), exc_info=True)
        return [Awarded() if one.idempotency_key is not None else Awarded(error=exc) for one in commands]
    if outcomes is None:  # nothing stored: each alone
        return [Awarded() for _ in commands]
    return [Awarded(issued=outcome.issued, error=outcome.error, pathways=pathways) for outcome in outcomes]


def _reading_pathways(command: IssueCommand, pathways_in: PathwaysIn) -> tuple[list[str], AlsoRead]:
    """A list, and what fills it in an award's read transaction (``run_issue``'s ``also_read``):
    the pathways requiring ``command``'s badge class."""
    pathways: list[str] = []

    def read(session: Session) -> None:
        pathways[:] = pathways_in(session, command.issuer_slug, command.achievement_slug)

    return pathways, read
