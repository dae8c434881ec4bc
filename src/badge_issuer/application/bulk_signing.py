"""Building and signing a batch of a job's awards on every core: a pool of worker processes
(BADGE_JOB_SIGN_PROCESSES).

Building a credential and signing it are CPU work under the GIL (about 1 ms each for a typical
badge), so one runner does them on one core. ``PoolSigning`` splits a batch into one slice per
worker process (the verification lane's ``VerifyPool``, a pool of ``spawn``-ed processes that each
build their own Services from the settings) and builds and signs the slices in parallel, while
the runner keeps the database work (reserving keys and positions before, storing after).

What crosses the pipe: the rows' commands, their plan's times and their status positions go out,
with what the slice shares (the issuer's profile and the badge class version as the runner read
them when planning, the signing key by name); each award's record columns and signed credential
(or the error its build raised) come back. No key crosses it: a worker loads the issuer's key from
the key store by name, once per slice, and refuses one whose public key is not the one the awards
were planned with (``KeyMismatch``). The workers touch no database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer.application.bulk_issuing import Made, make
from badge_issuer.application.bulk_prepare import Ready
from badge_issuer.application.services import Services, build_services
from badge_issuer.application.verify_pool import VerifyPool
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Achievement, AchievementVersion, Credential, Issuer, StatusList
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.issuance import IssueCommand, Plan


@dataclass(frozen=True)
class Shared:
    """What a slice's awards share, as planned: what ``build_badge`` reads of the issuer and the
    badge class version, and the signing key's name, verification method and public key."""

    issuer_id: int
    issuer_slug: str
    issuer_did: str
    profile_json: str
    achievement_id: int
    version_id: int
    document_json: str
    key_name: str
    method: str
    public_key: bytes


#: one award: its command, its plan's now and valid_from, its positions (list id, purpose,
#: sequence, position)
Task = tuple[IssueCommand, datetime, datetime, tuple[tuple[int, str, int, int], ...]]
#: what comes back for an award: (record columns, positions, signed credential), or its error
Outcome = tuple[dict[str, Any], tuple[tuple[int, int], ...], dict[str, Any]] | BadgeIssuerError


def make_slice(services: Services, shared: Shared, tasks: list[Task]) -> list[Outcome]:
    """In a worker process: build and sign each award of one issuer, badge class version and key."""
    issuer = Issuer(
        id=shared.issuer_id, slug=shared.issuer_slug, did=shared.issuer_did, profile_json=shared.profile_json
    )
    achievement = Achievement(id=shared.achievement_id)
    version = AchievementVersion(id=shared.version_id, document_json=shared.document_json)
    signer = services.keystore.signer(shared.key_name, shared.method, expected_public_key=shared.public_key)
    outcomes: list[Outcome] = []
    for command, now, valid_from, positions in tasks:
        lists = tuple(
            (StatusList(id=list_id, issuer_id=issuer.id, purpose=purpose, sequence=sequence), position)
            for list_id, purpose, sequence, position in positions
        )
        plan = Plan(issuer, achievement, version, now, valid_from, signer)
        made = make(Ready(command, plan, lists), tools=services.issuance)
        if isinstance(made, BadgeIssuerError):
            outcomes.append(made)
            continue
        given = made.record.__dict__
        columns = {c.key: given[c.key] for c in Credential.__table__.columns if c.key in given}
        outcomes.append((columns, made.positions, made.credential))
    return outcomes


class PoolSigning:
    """A ``bulk_issuing.Signing`` over ``processes`` worker processes (``start`` before use)."""

    def __init__(self, services: Services, processes: int) -> None:
        self.processes = processes
        self.pool = VerifyPool(
            services.settings,
            services.clock,
            build_services,
            metrics=services.metrics,
            workers=processes,
            queue=processes,
            nice=0,
        )
        self._threads = ThreadPoolExecutor(max_workers=processes, thread_name_prefix="badge-sign")

    def start(self) -> None:
        self.pool.start()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.pool.close()

    @property
    def in_background(self) -> bool:
        """Whether ``begin`` hands the awards to the processes (it makes them itself otherwise)."""
        return self.pool.running

    def __call__(self, services: Services, ready: Sequence[Ready]) -> list[Made | BadgeIssuerError]:
        return self.begin(services, ready)()

    def begin(
        self, services: Services, ready: Sequence[Ready]
    ) -> Callable[[], list[Made | BadgeIssuerError]]:
        """Hand the awards to the processes; what is returned waits for them (in order)."""
        if not self.pool.running or len(ready) < 2:
            made = [make(one, tools=services.issuance) for one in ready]
            return lambda: made
        futures = [
            self._threads.submit(self.pool.run, None, make_slice, shared, tasks)
            for shared, tasks in slices_of(services, ready, self.processes)
        ]
        return lambda: [_made(outcome) for future in futures for outcome in future.result()]


def slices_of(services: Services, ready: Sequence[Ready], count: int) -> list[tuple[Shared, list[Task]]]:
    """``ready`` in order, as at most ``count`` slices of consecutive awards per shared plan."""
    groups: list[tuple[Shared, list[Task]]] = []
    shared_of: dict[tuple[int, int, int], Shared] = {}
    for one in ready:
        plan = one.plan
        ids = (plan.issuer.id, plan.achievement.id, plan.version.id)
        shared = shared_of.get(ids) or shared_of.setdefault(ids, _shared(services, plan))
        task: Task = (
            one.command,
            plan.now,
            plan.valid_from,
            tuple((sl.id, sl.purpose, sl.sequence, position) for sl, position in one.positions),
        )
        if groups and groups[-1][0] is shared:
            groups[-1][1].append(task)
        else:
            groups.append((shared, [task]))
    size = -(-len(ready) // count)
    return [
        (shared, tasks[start : start + size])
        for shared, tasks in groups
        for start in range(0, len(tasks), size)
    ]


def _shared(services: Services, plan: Plan) -> Shared:
    """What the awards of ``plan``'s issuer and badge class version share (the key by its name)."""
    issuer, version, signer = plan.issuer, plan.version, plan.signer
    with services.readers() as session:
        key_name = IssuerRepository(session).signing_key(issuer).key_name
    return Shared(
        issuer.id,
        issuer.slug,
        issuer.did,
        issuer.profile_json,
        plan.achievement.id,
        version.id,
        version.document_json,
        key_name,
        signer.verification_method,
        signer.public_key,
    )


def _made(outcome: Outcome) -> Made | BadgeIssuerError:
    if isinstance(outcome, BadgeIssuerError):
        return outcome
    columns, positions, credential = outcome
    return Made(Credential(**columns), positions, credential)
