"""Single awards that arrive together, issued together (#11).

Every award of a badge class costs the same dozen statements and two commits when issued alone
(``issuing.run_issue``); under load, most of an award's time on the server was that database work.
So concurrent requests for awards of one badge class by one client are grouped
(``coalescer.Coalescer``, one per process): a request alone is issued at once, alone, exactly as
before; requests that arrive while another award is being issued wait for it to end and are then
issued together on the bulk path (``bulk_issuing.issue_commands``: a statement per step for the
group, the outcomes, replays, conflicts and request hashes of each award issued alone).

Each request still gets its own answer: its award, replayed or created, or its own error. An award
whose key a twin request holds is handed back to its request, which waits for the twin's award as
an award alone does (``run_issue``); so is each award of a group whose run failed as a whole (an
unexpected error), so one award's failure never sinks another's. What a request alone tells
(metrics, audit, claim e-mail) is told for each award of a group too. The pathways requiring the
badge class are read with the awards, once per group, and advanced by each request for its own
recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from badge_issuer.application.bulk_issuing import ChunkSpec, issue_commands
from badge_issuer.application.coalescer import FAILED, Coalescer
from badge_issuer.application.issuing import run_issue, try_issue
from badge_issuer.application.services import Services
from badge_issuer.issuance import IssueCommand, IssuedBadge

#: the slugs of the pathways of an issuer that require an achievement, read in a session
PathwaysIn = Callable[[Session, str, str], list[str]]


@dataclass(frozen=True)
class Awarded:
    """What a group gave one award: issued, or its own error, or neither (``pending``: a twin holds
    its key), and the pathways requiring its badge class."""

    issued: IssuedBadge | None = None
    error: Exception | None = None
    pathways: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.issued is None and self.error is None


def award(
    services: Services, command: IssueCommand, pathways_in: PathwaysIn
) -> tuple[IssuedBadge, list[str]]:
    """``command``'s award (issued with the awards of its badge class that arrive with it) and the
    pathways requiring its badge class."""
    group = (command.issuer_slug, command.achievement_slug, command.client_id)

    def run(_group: Hashable, commands: Sequence[IssueCommand]) -> list[Awarded]:
        return _issue(services, commands, pathways_in)

    groups: Coalescer[IssueCommand, Awarded] = services.award_groups
    got = groups.submit(group, command, run)
    if got is FAILED or got.pending:  # alone, waiting for a twin if need be
        pathways: list[str] = []

        def read_pathways(session: Session) -> None:
            pathways[:] = pathways_in(session, command.issuer_slug, command.achievement_slug)

        return run_issue(services, command, read_pathways), pathways
    if got.error is not None:
        raise got.error.with_traceback(None)
    assert got.issued is not None
    return got.issued, got.pathways


def _issue(services: Services, commands: Sequence[IssueCommand], pathways_in: PathwaysIn) -> list[Awarded]:
    """One award as ``run_issue`` makes it (without waiting for a twin), or a group on the bulk path."""
    first = commands[0]
    services.metrics.issued_together(len(commands))
    if len(commands) == 1:
        pathways: list[str] = []

        def read_pathways(session: Session) -> None:
            pathways[:] = pathways_in(session, first.issuer_slug, first.achievement_slug)

        try:
            issued = try_issue(services, first, read_pathways)
        except Exception as exc:  # its own error, raised by its own request
            return [Awarded(error=exc)]
        return [Awarded(issued=issued, pathways=pathways)]
    spec = ChunkSpec(first.issuer_slug, first.achievement_slug, first.client_id, scope="")
    outcomes = issue_commands(services, spec, commands)
    with services.readers() as session:
        pathways = pathways_in(session, first.issuer_slug, first.achievement_slug)
    return [Awarded(issued=outcome.issued, error=outcome.error, pathways=pathways) for outcome in outcomes]
