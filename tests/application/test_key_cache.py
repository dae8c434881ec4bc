"""The API key cache: a row kept for its seconds, never an unknown key, never a row read before a
revocation it was told of (many threads), and authentication through it on a real database."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event

from badge_issuer.application import Services, build_services
from badge_issuer.application.key_cache import ApiKeyCache
from badge_issuer.application.tenants import NewClient, new_client, revoke_api_client
from badge_issuer.config import Settings
from badge_issuer.credential.requests import ClientCreate
from badge_issuer.db.issuers import ApiKeyRow
from badge_issuer.db.migrate import upgrade
from badge_issuer.errors import Unauthenticated
from tests.application.conftest import make_issuer, principal_of


def row(scopes: str = "issue", *, revoked: bool = False) -> ApiKeyRow:
    return ApiKeyRow(1, 1, "uni", "hash", scopes, revoked)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """A read function that counts its calls and answers from ``rows``."""

    def __init__(self, **rows: ApiKeyRow) -> None:
        self.rows = rows
        self.count = 0

    def __call__(self, key_id: str) -> ApiKeyRow | None:
        self.count += 1
        return self.rows.get(key_id)


def test_a_row_is_kept_for_its_seconds_from_when_its_read_began() -> None:
    clock, reads = Clock(), Reads(a=row())
    cache = ApiKeyCache(2.0, monotonic=clock)
    assert cache.row("a", reads) == row() and reads.count == 1
    clock.now += 1.9
    reads.rows["a"] = row(revoked=True)  # revoked elsewhere: not seen yet
    assert cache.row("a", reads) == row() and reads.count == 1
    clock.now += 0.1
    assert cache.row("a", reads) == row(revoked=True) and reads.count == 2


def test_an_unknown_key_is_never_kept_and_zero_seconds_reads_every_time() -> None:
    reads = Reads(a=row())
    cache = ApiKeyCache(60.0, monotonic=Clock())
    assert cache.row("nobody", reads) is None and cache.row("nobody", reads) is None
    assert reads.count == 2 and len(cache) == 0
    off = ApiKeyCache(0.0)
    for _ in range(3):
        assert off.row("a", reads) == row()
    assert reads.count == 5 and len(off) == 0
    with pytest.raises(ValueError):
        ApiKeyCache(-1.0)


def test_forget_drops_a_row_and_a_read_begun_before_it_is_not_kept() -> None:
    reads = Reads(a=row(), b=row("read"))
    cache = ApiKeyCache(60.0, monotonic=Clock())
    cache.row("a", reads)
    cache.forget("a")
    assert cache.row("a", reads) == row() and reads.count == 2

    def revoked_during_the_read(key_id: str) -> ApiKeyRow | None:
        found = reads(key_id)  # the row as it was before the revocation committed
        reads.rows[key_id] = row(revoked=True)
        cache.forget(key_id)  # the revocation commits and is told while this read is under way
        return found

    assert cache.row("b", revoked_during_the_read) == row("read")  # this request began before it
    assert cache.row("b", reads) == row(revoked=True)  # but its row was not kept


def test_a_full_cache_is_emptied_and_holds_at_most_maxsize_rows() -> None:
    reads = Reads(**{f"k{n}": row() for n in range(10)})
    cache = ApiKeyCache(60.0, maxsize=4, monotonic=Clock())
    for n in range(10):
        cache.row(f"k{n}", reads)
        assert len(cache) <= 4
    cache.row("k9", reads)  # kept: no read
    assert reads.count == 10


def test_no_thread_sees_a_row_older_than_the_last_revocation_it_was_told_of() -> None:
    """16 readers and a revoker, many rounds: the revoker writes a new version of a key's row (its
    commit), then calls ``forget``, then publishes the version; a reader that saw version v
    published must get a row of version v or newer, however the threads interleave (a row read
    before the revocation but kept after it would break this)."""
    keys = [f"k{n}" for n in range(4)]
    table = {key: row(scopes="0") for key in keys}
    published = dict.fromkeys(keys, 0)
    cache = ApiKeyCache(3600.0)  # nothing expires: only forget brings a change in
    stop = threading.Event()
    failures: list[str] = []

    def read(key_id: str) -> ApiKeyRow | None:
        found = table[key_id]
        time.sleep(0)  # let the revoker run between the read and its keeping
        return found

    def reader(seed: int) -> None:
        chance = random.Random(seed)
        for _ in range(3000):
            key = chance.choice(keys)
            seen = published[key]
            got = cache.row(key, read)
            if got is None or int(got.scopes) < seen:
                failures.append(f"{key}: version {got and got.scopes} after {seen} was published")
                return

    def revoker() -> None:
        chance = random.Random(7)
        version = 0
        while not stop.is_set():
            key = chance.choice(keys)
            version += 1
            table[key] = row(scopes=str(version))
            cache.forget(key)
            published[key] = version
            time.sleep(0)

    changing = threading.Thread(target=revoker)
    changing.start()
    readers = [threading.Thread(target=reader, args=(seed,)) for seed in range(16)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    stop.set()
    changing.join()
    assert not failures, failures[:3]


@pytest.fixture
def make_services(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Services]]:
    built: list[Services] = []

    def make(**overrides: object) -> Services:
        services = build_services(make_settings(**overrides))
        upgrade(services.engine)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def statements(services: Services) -> list[str]:
    seen: list[str] = []
    event.listen(services.single_reads, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def an_lms(services: Services) -> NewClient:
    """An issuer ``uni`` and an API client of its with the ``issue`` scope."""
    make_issuer(services, "uni")
    return new_client(services, "uni", ClientCreate(name="LMS", scopes=["issue"]), client_id=None)


def test_authenticating_reads_a_key_once_until_its_seconds_pass(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(api_key_cache_seconds=60)
    created = an_lms(services)
    seen = statements(services)
    for _ in range(5):
        assert principal_of(services, created.api_key).scopes == frozenset({"issue"})
    assert len(seen) == 1
    with pytest.raises(Unauthenticated):  # the secret is checked against the kept row every time
        principal_of(services, created.api_key[:-2] + "xx")
    assert len(seen) == 1

    every_time = make_services(api_key_cache_seconds=0)  # the same database, read on every request
    seen = statements(every_time)
    for _ in range(3):
        principal_of(every_time, created.api_key)
    assert len(seen) == 3


def test_a_revocation_in_another_process_takes_effect_within_the_seconds(
    make_services: Callable[..., Services],
) -> None:
    here = make_services(api_key_cache_seconds=0.3)
    created = an_lms(here)
    principal_of(here, created.api_key)
    elsewhere = make_services()  # another worker process: its own Services on the same database
    principal_of(elsewhere, created.api_key)
    revoke_api_client(elsewhere, "uni", created.client.key_id, client_id=None)
    with pytest.raises(Unauthenticated):
        principal_of(elsewhere, created.api_key)  # where it was revoked: at once
    time.sleep(0.35)
    with pytest.raises(Unauthenticated):
        principal_of(here, created.api_key)  # here: once its row was read again
