"""Revocation and suspension (issue #5): status entries, the signed status list, and the audit trail.

End to end against the real app under uvicorn, plus unit tests of position allocation in db/status.py.
"""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from badge_issuer import status_list
from badge_issuer.crypto.data_integrity import proofs_of, verify_proof
from badge_issuer.crypto.resolver import StaticResolver
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.session import make_engine, make_sessionmaker
from badge_issuer.db.status import FILL_LIMIT, StatusRepository
from badge_issuer.db.tables import (
    Achievement,
    AchievementVersion,
    Credential,
    Issuer,
    StatusEntry,
    StatusList,
)
from badge_issuer.jsonld.loader import DocumentLoader
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap, issue
from tests.conftest import LiveServer

REASON = "Plagiarised final project — case 2026/0417"


def make_tenant(server: LiveServer, slug: str, *flags: str) -> Tenant:
    tenant = bootstrap(server, slug, *flags)
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


@pytest.fixture
def server(live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server()


def issue_ok(tenant: Tenant, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = issue(tenant, headers, body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def status_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    status = credential["credentialStatus"]
    return status if isinstance(status, list) else [status]


def entry_for(credential: dict[str, Any], purpose: str) -> dict[str, Any]:
    [entry] = [e for e in status_entries(credential) if e["statusPurpose"] == purpose]
    return entry


def bit(entry: dict[str, Any]) -> bool:
    """The credential's bit in the list served right now."""
    served = httpx.get(entry["statusListCredential"])
    assert served.status_code == 200, served.text
    bits = status_list.decode(served.json()["credentialSubject"]["encodedList"])
    return bits.get(int(entry["statusListIndex"]))


def public_texts(server: LiveServer, tenant: Tenant, credential: dict[str, Any]) -> str:
    """Everything anyone can fetch without a key about this credential and its issuer."""
    urls = [
        credential["id"],
        f"{server.url}/issuers/{tenant.slug}",
        f"{server.url}/issuers/{tenant.slug}/did.json",
        credential["credentialSubject"]["achievement"]["id"],
        *(entry["statusListCredential"] for entry in status_entries(credential)),
    ]
    texts = []
    for url in urls:
        response = httpx.get(url)
        assert response.status_code == 200, url
        texts.append(response.text)
    return "\n".join(texts)


def test_every_credential_has_a_revocation_entry_and_suspension_issuers_a_second(server: LiveServer) -> None:
    plain = make_tenant(server, "plain")
    both = make_tenant(server, "both", "--suspension")
    for tenant, purposes in ((plain, ["revocation"]), (both, ["revocation", "suspension"])):
        response = issue(tenant, tenant.client("issue"), {"recipient": {"email": "ada@example.org"}})
        assert response.status_code == 201, response.text
        entries = status_entries(response.json()["credential"])
        assert sorted(entry["statusPurpose"] for entry in entries) == purposes
        for entry in entries:
            assert entry["type"] == "BitstringStatusListEntry"
            assert isinstance(entry["statusListIndex"], str)
            assert entry["statusListIndex"].isdigit()
            list_url = entry["statusListCredential"]
            assert list_url.startswith(f"{server.url}/issuers/{tenant.slug}/status/{entry['statusPurpose']}/")
            assert entry["id"] == f"{list_url}#{entry['statusListIndex']}"


def test_the_status_list_credential_is_signed_cacheable_and_empty_at_first(server: LiveServer) -> None:
    tenant = make_tenant(server, "uni")
    credential = issue_ok(tenant, tenant.client("issue"), {"recipient": {"id": "did:example:1"}})[
        "credential"
    ]
    entry = entry_for(credential, "revocation")
    response = httpx.get(entry["statusListCredential"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+ld+json")
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "max-age=" in response.headers["cache-control"]
    unchanged = httpx.get(entry["statusListCredential"], headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert httpx.get(entry["statusListCredential"], headers={"If-None-Match": '"other"'}).status_code == 200

    document = response.json()
    assert document["id"] == entry["statusListCredential"]
    assert "BitstringStatusListCredential" in document["type"]
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    did = credential["issuer"]["id"]
    assert document["issuer"] == did
    did_doc = httpx.get(f"{server.url}/issuers/{tenant.slug}/did.json").json()
    [proof] = proofs_of(document)
    verified = verify_proof(
        document,
        proof,
        canon=CanonOptions(loader=DocumentLoader.pinned()),
        resolver=StaticResolver({did: did_doc}),
    )
    assert verified.verification_method.controller == did
    bits = status_list.decode(document["credentialSubject"]["encodedList"])
    assert len(bits) >= status_list.MIN_ENTRIES
    assert not any(bits.to_bytes())


def test_revoke_sets_the_bit_audits_the_reason_and_never_publishes_it(server: LiveServer) -> None:
    tenant = make_tenant(server, "uni")
    rival = make_tenant(server, "rival")
    lms = tenant.client("issue", "read")
    registrar = tenant.client("revoke", "read")
    issued = issue_ok(tenant, lms, {"recipient": {"email": "ada@example.org"}})
    bystander = issue_ok(tenant, lms, {"recipient": {"email": "bob@example.org"}})
    credential = issued["credential"]
    entry = entry_for(credential, "revocation")
    before = httpx.get(entry["statusListCredential"])
    assert not bit(entry)

    revoke = tenant.url(f"/credentials/{issued['id']}/revoke")
    assert httpx.post(revoke, json={"reason": REASON}, headers=lms).status_code == 403
    rival_registrar = rival.client("revoke")
    assert httpx.post(revoke, json={"reason": REASON}, headers=rival_registrar).status_code == 404
    # nor through its own issuer's path
    foreign = rival.url(f"/credentials/{issued['id']}/revoke")
    assert httpx.post(foreign, json={"reason": REASON}, headers=rival_registrar).status_code == 404
    for bad in ({}, {"reason": ""}, {"reason": REASON, "extra": 1}):
        refused = httpx.post(revoke, json=bad, headers=registrar)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(tenant.url(f"/credentials/{issued['id']}"), headers=lms).json()["status"] == "active"

    started = datetime.now(UTC)
    response = httpx.post(revoke, json={"reason": REASON}, headers=registrar)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["status"] == "revoked"
    [event] = record["history"]
    assert event["action"] == "revoke"
    assert event["reason"] == REASON
    assert isinstance(event["client"], int) and event["client"] != record["client"]  # who: the registrar
    assert abs((datetime.fromisoformat(event["at"]).replace(tzinfo=UTC) - started).total_seconds()) < 60

    after = httpx.get(entry["statusListCredential"], headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200  # the old ETag no longer matches
    assert after.headers["etag"] != before.headers["etag"]
    assert bit(entry)
    assert not bit(entry_for(bystander["credential"], "revocation"))
    bits = status_list.decode(after.json()["credentialSubject"]["encodedList"])
    assert sum(bin(byte).count("1") for byte in bits.to_bytes()) == 1
    assert httpx.get(tenant.url(f"/credentials/{issued['id']}"), headers=lms).json()["status"] == "revoked"
    # the credential itself is served unchanged; the reason is in no public document
    assert httpx.get(credential["id"]).json() == credential
    published = public_texts(server, tenant, credential)
    assert REASON not in published and "Plagiarised" not in published

    # retry-safe: the same change again is 200 with the current state, and audited once
    twice = httpx.post(revoke, json={"reason": "again"}, headers=registrar)
    assert twice.status_code == 200, twice.text
    assert twice.json()["status"] == "revoked"
    assert [(e["action"], e["reason"]) for e in twice.json()["history"]] == [("revoke", REASON)]
    assert twice.json()["updated"] == record["updated"]
    for action in ("suspend", "unsuspend"):
        conflict = httpx.post(
            tenant.url(f"/credentials/{issued['id']}/{action}"), json={"reason": "x"}, headers=registrar
        )
        assert conflict.status_code == 409, action
        assert conflict.headers["content-type"] == "application/problem+json"
        assert conflict.json()["type"].endswith(":state-conflict")
        assert "revocation is permanent" in conflict.json()["detail"]
    unknown = tenant.url(f"/credentials/{uuid.uuid4()}/revoke")
    assert httpx.post(unknown, json={"reason": REASON}, headers=registrar).status_code == 404

    revoked = httpx.get(tenant.url("/credentials"), params={"status": "revoked"}, headers=lms).json()
    assert [item["id"] for item in revoked["items"]] == [issued["id"]]
    active = httpx.get(tenant.url("/credentials"), params={"status": "active"}, headers=lms).json()
    assert [item["id"] for item in active["items"]] == [bystander["id"]]


def test_suspend_and_unsuspend_flip_the_suspension_bit_both_ways(server: LiveServer) -> None:
    tenant = make_tenant(server, "uni", "--suspension")
    plain = make_tenant(server, "plain")
    lms = tenant.client("issue", "read", "revoke")
    issued = issue_ok(tenant, lms, {"recipient": {"email": "ada@example.org"}})
    revocation = entry_for(issued["credential"], "revocation")
    suspension = entry_for(issued["credential"], "suspension")
    base = tenant.url(f"/credentials/{issued['id']}")
    # unsuspending an active credential asks for the state it is in: 200, nothing recorded
    noop = httpx.post(f"{base}/unsuspend", json={"reason": "x"}, headers=lms)
    assert noop.status_code == 200, noop.text
    assert noop.json()["status"] == "active" and noop.json()["history"] == []

    suspended = httpx.post(f"{base}/suspend", json={"reason": "unpaid fees"}, headers=lms)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert bit(suspension) and not bit(revocation)
    again = httpx.post(f"{base}/suspend", json={"reason": "x"}, headers=lms)
    assert again.status_code == 200, again.text
    assert again.json() == suspended.json()  # same state, same single audit event
    listed = httpx.get(tenant.url("/credentials"), params={"status": "suspended"}, headers=lms).json()
    assert [item["id"] for item in listed["items"]] == [issued["id"]]

    restored = httpx.post(f"{base}/unsuspend", json={"reason": "fees paid"}, headers=lms)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["status"] == "active"
    assert [(e["action"], e["reason"]) for e in body["history"]] == [
        ("suspend", "unpaid fees"),
        ("unsuspend", "fees paid"),
    ]
    assert not bit(suspension) and not bit(revocation)
    assert (
        httpx.get(tenant.url("/credentials"), params={"status": "suspended"}, headers=lms).json()["items"]
        == []
    )

    # an issuer without suspension has no suspension entry to flip
    plain_lms = plain.client("issue", "revoke")
    other = issue_ok(plain, plain_lms, {"recipient": {"id": "did:example:2"}})
    refused = httpx.post(
        plain.url(f"/credentials/{other['id']}/suspend"), json={"reason": "x"}, headers=plain_lms
    )
    assert refused.status_code == 409
    assert "no suspension status entry" in refused.json()["detail"]


def test_status_list_indexes_are_random_not_sequential(server: LiveServer) -> None:
    tenant = make_tenant(server, "uni")
    lms = tenant.client("issue")
    indexes: list[int] = []
    lists: set[str] = set()
    for i in range(60):
        response = issue(tenant, lms, {"recipient": {"id": f"did:example:{i}"}})
        assert response.status_code == 201, response.text
        entry = entry_for(response.json()["credential"], "revocation")
        indexes.append(int(entry["statusListIndex"]))
        lists.add(entry["statusListCredential"])
    assert len(lists) == 1 and len(set(indexes)) == 60
    size = status_list.MIN_ENTRIES  # the default list size
    assert all(0 <= index < size for index in indexes)
    n = len(indexes)
    # Three checks, each certain to fail for sequential allocation (0, 1, 2, … from any start, or any
    # other increasing scheme) and each with a negligible false-failure probability for uniform draws:
    # 1. Ascents among the n-1 = 59 consecutive pairs. Sequential: 59. Random order: mean (n-1)/2 = 29.5,
    #    sd sqrt((n+1)/12) ≈ 2.25; outside [15, 44] is |z| > 6.4, P < 1e-9.
    ascents = sum(1 for a, b in itertools.pairwise(indexes) if b > a)
    assert 15 <= ascents <= 44, ascents
    # 2. Spread. Sequential: max - min = 59. Uniform: P(all 60 draws within a quarter of the range)
    #    ≤ 60 · (1/4)^59 ≈ 2e-34.
    assert max(indexes) - min(indexes) > size // 4
    # 3. Spearman rank correlation between issue order and index. Sequential: 1. Random: sd ≈ 1/sqrt(59)
    #    ≈ 0.13; |rho| ≥ 0.7 is z ≥ 5.4, P < 1e-7.
    ranks = {index: rank for rank, index in enumerate(sorted(indexes))}
    d2 = sum((position - ranks[index]) ** 2 for position, index in enumerate(indexes))
    rho = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(rho) < 0.7, rho


# -- db/status.py on a SQLite session ----------------------------------------------------------------


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'status.sqlite3'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        yield session
    engine.dispose()


NOW = datetime(2026, 3, 1, tzinfo=UTC)


class Credentials:
    """Inserts minimal credential rows, so status entries can point at real records."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.issuer = Issuer(
            slug="uni",
            did="did:web:example.org:issuers:uni",
            did_method="web",
            profile_json="{}",
            suspension_enabled=False,
            created_at=NOW,
        )
        session.add(self.issuer)
        session.flush()
        self.achievement = Achievement(
            issuer_id=self.issuer.id, slug="a", current_version=1, created_at=NOW, updated_at=NOW
        )
        session.add(self.achievement)
        session.flush()
        self.version = AchievementVersion(
            achievement_id=self.achievement.id, version=1, document_json="{}", created_at=NOW
        )
        session.add(self.version)
        session.flush()

    def new(self) -> str:
        credential_id = str(uuid.uuid4())
        self.session.add(
            Credential(
                id=credential_id,
                issuer_id=self.issuer.id,
                achievement_id=self.achievement.id,
                achievement_version_id=self.version.id,
                credential_json="{}",
                recipient_hash="h",
                request_hash="r",
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        return credential_id


def allocate_many(session: Session, count: int, *, size: int, seed: int) -> list[tuple[int, int, int]]:
    """``count`` allocations, each attached to a new credential: [(list sequence, list id, position)]."""
    rows = Credentials(session)
    statuses = StatusRepository(session)
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        status_list_row, position = statuses.allocate(
            rows.issuer.id, "revocation", size=size, now=NOW, rng=rng
        )
        statuses.attach(status_list_row.id, position, rows.new())
        out.append((status_list_row.sequence, status_list_row.id, position))
    session.flush()
    return out


def test_allocation_never_hands_out_a_position_twice(session: Session) -> None:
    size = 4096  # 2,000 draws from 4,096 collide often, so the retry path is exercised
    allocated = allocate_many(session, 2000, size=size, seed=20260301)
    assert {sequence for sequence, _, _ in allocated} == {1}
    positions = [position for _, _, position in allocated]
    assert len(set(positions)) == 2000
    assert all(0 <= position < size for position in positions)
    [row] = session.scalars(select(StatusList))
    assert row.allocated == 2000
    stored = session.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
    assert len(stored) == len(set(stored)) == 2000


def test_a_new_list_is_opened_once_the_fill_limit_is_reached(session: Session) -> None:
    size = 64
    per_list = int(size * FILL_LIMIT)  # 48
    allocated = allocate_many(session, 2000, size=size, seed=7)
    by_sequence: dict[int, list[int]] = {}
    for sequence, _, position in allocated:
        by_sequence.setdefault(sequence, []).append(position)
    full, last = divmod(2000, per_list)
    assert sorted(by_sequence) == list(range(1, full + 2))
    # lists are used in order: exactly ``per_list`` positions each, then the next list is opened
    assert [sequence for sequence, _, _ in allocated] == [i // per_list + 1 for i in range(2000)]
    for sequence, positions in by_sequence.items():
        assert len(positions) == len(set(positions)) == (per_list if sequence <= full else last)
        assert all(0 <= position < size for position in positions)
    lists = list(session.scalars(select(StatusList).order_by(StatusList.sequence)))
    assert [row.allocated for row in lists] == [per_list] * full + [last]
    assert {row.size for row in lists} == {size}
    assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2000


def test_concurrent_allocations_across_full_lists_take_each_position_once(database_url: str) -> None:
    """Many writers, each allocating in its own short transaction as an award does, on lists so
    small that new ones are opened under contention: no position twice, every list filled to its
    limit and no further, no writer failing (on PostgreSQL writers race for the next list)."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    size, writers, each = 16, 8, 30
    with sessions() as session, session.begin():
        issuer_id = Credentials(session).issuer.id
        StatusRepository(session).open_list(issuer_id, "revocation", size=size, now=NOW)  # as issuers do
    per_list = int(size * FILL_LIMIT)  # 12
    failures: list[BaseException] = []
    taken: list[tuple[int, int, int]] = []
    guard = threading.Lock()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(each):
                with sessions() as session, session.begin():
                    status_list_row, position = StatusRepository(session).allocate(
                        issuer_id, "revocation", size=size, now=NOW, rng=rng
                    )
                with guard:
                    taken.append((status_list_row.sequence, status_list_row.id, position))
        except BaseException as exc:  # reported below, with the test's assertion
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not failures, failures[0]
        total = writers * each
        assert len(taken) == total
        assert len({(list_id, position) for _, list_id, position in taken}) == total
        with sessions() as session:
            lists = list(session.scalars(select(StatusList).order_by(StatusList.sequence)))
            entries = session.execute(select(StatusEntry.list_id, func.count()).group_by(StatusEntry.list_id))
            per_id: dict[int, int] = {list_id: count for list_id, count in entries}
        assert [row.sequence for row in lists] == list(range(1, len(lists) + 1))
        # each list filled to its limit before the next is opened (a writer that had waited for an
        # older list once opened one more next to a list just opened, or the same one twice)
        assert [row.allocated for row in lists] == [per_list] * (total // per_list), [
            (row.sequence, row.allocated) for row in lists
        ]
        assert all(row.allocated == per_id[row.id] for row in lists)
    finally:
        engine.dispose()
