"""SQLite sessions: readers never wait for writers (nor write); the process writer lock is never leaked.
PostgreSQL's pool: a connection closed while idle is replaced before use, a busy one is not pinged."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import InvalidRequestError, OperationalError

from badge_issuer.db import session as session_module
from badge_issuer.db.session import make_engine, make_sessionmaker, read_only_engine, single_read_engine
from tests.conftest import fresh_postgres_database

NOW = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "t.sqlite3"


def test_readers_do_not_wait_for_a_writer(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    writers, readers = make_sessionmaker(engine), make_sessionmaker(engine, read_only=True)
    with writers() as s, s.begin():
        s.execute(text("CREATE TABLE t (x INT)"))
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with writers() as s, s.begin():
            s.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(5)
    with readers() as s:  # answers while the writer still holds its transaction open
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
    assert not release.is_set() and thread.is_alive()
    release.set()
    thread.join()
    engine.dispose()


def test_the_writer_lock_survives_a_failed_begin_and_an_invalidated_connection(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "_WRITER_WAIT_SECONDS", 2)
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def short_busy(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    writers = make_sessionmaker(engine)
    with writers() as s, s.begin():
        s.execute(text("CREATE TABLE t (x INT)"))
    other = sqlite3.connect(path, isolation_level=None)  # another process holds the write lock
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError), writers() as s, s.begin():
        s.execute(text("INSERT INTO t VALUES (1)"))
    other.execute("ROLLBACK")
    other.close()
    with pytest.raises(RuntimeError), writers() as s, s.begin():
        s.execute(text("INSERT INTO t VALUES (2)"))
        s.connection().invalidate()
        raise RuntimeError("the connection died mid-transaction")
    with writers() as s, s.begin():  # a lock still held would time out here (2 s) and raise
        s.execute(text("INSERT INTO t VALUES (3)"))
    with writers() as s:
        assert s.execute(text("SELECT x FROM t")).scalars().all() == [3]
    engine.dispose()


def test_concurrent_requests_reuse_pooled_connections_instead_of_opening_new_ones(path: Path) -> None:
    # a new SQLite connection pays its PRAGMAs and a parse of the whole schema on first use
    engine = make_engine(f"sqlite:///{path}")
    opened = 0

    @event.listens_for(engine, "connect")
    def count(_dbapi_connection: object, _record: object) -> None:
        nonlocal opened
        opened += 1

    readers = make_sessionmaker(engine, read_only=True)
    threads = 16
    barrier = threading.Barrier(threads)

    def read_at_once() -> None:
        with readers() as s:
            s.execute(text("SELECT 1")).all()
            barrier.wait(10)  # every thread holds a connection at the same time

    for _ in range(3):
        workers = [threading.Thread(target=read_at_once) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert opened == threads  # the first round opened them; later rounds reuse them all
    engine.dispose()


@pytest.mark.parametrize(
    "write",
    [
        "INSERT INTO t VALUES (1)",
        "  update t SET x = 2",
        "DELETE FROM t",
        "DROP TABLE t",
        "/* a comment */ INSERT INTO t VALUES (1)",
        "-- a comment\nDELETE FROM t",
        "WITH a AS (SELECT 1 AS x) INSERT INTO t SELECT x FROM a",
        "PRAGMA user_version = 7",
    ],
)
def test_a_read_only_session_refuses_to_write(path: Path, write: str) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INT)"))
    with make_sessionmaker(engine, read_only=True)() as s, pytest.raises(InvalidRequestError):
        s.execute(text(write))
    with single_read_engine(engine).connect() as connection, pytest.raises(InvalidRequestError):
        connection.execute(text(write))
    with make_sessionmaker(engine)() as s, s.begin():  # writers write
        s.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()


@pytest.mark.parametrize(
    "read", ["SELECT 'insert' AS x", "WITH a AS (SELECT 1 AS x) SELECT x FROM a", "PRAGMA user_version"]
)
def test_a_read_only_session_reads_whatever_its_words(path: Path, read: str) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine, read_only=True)() as s:
        assert len(s.execute(text(read)).all()) == 1
    engine.dispose()


def test_a_read_only_session_refuses_an_orm_flush(path: Path) -> None:
    from badge_issuer.db.tables import IdempotencyReservation

    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine, read_only=True)() as s, pytest.raises(InvalidRequestError):
        s.add(IdempotencyReservation(client_id=1, idempotency_key="k", request_hash="h", taken_at=NOW))
        s.flush()
    engine.dispose()


def driver_of(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def test_a_single_read_opens_no_transaction_and_leaves_none_behind(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INT)"))
    with read_only_engine(engine).connect() as connection:  # a read transaction, for contrast
        connection.execute(text("SELECT count(*) FROM t")).all()
        assert driver_of(connection).in_transaction
    with single_read_engine(engine).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert not driver_of(connection).in_transaction
    with make_sessionmaker(engine)() as s, s.begin():  # the writer lock was not taken, nor left held
        s.execute(text("INSERT INTO t VALUES (1)"))
    with single_read_engine(engine).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
    engine.dispose()


def test_a_single_read_on_postgresql_runs_in_autocommit_and_the_pool_gets_back_a_transactional_connection(
    postgres_url: str,
) -> None:
    from psycopg.pq import TransactionStatus

    engine = make_engine(postgres_url)
    try:
        with single_read_engine(engine).connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            driver = driver_of(connection)
            assert driver.autocommit and driver.info.transaction_status == TransactionStatus.IDLE
        with engine.connect() as connection:  # the same pooled connection, transactional again
            assert driver_of(connection) is driver
            connection.execute(text("SELECT 1")).all()
            assert not driver.autocommit and driver.info.transaction_status == TransactionStatus.INTRANS
        with make_sessionmaker(engine, read_only=True)() as s:  # readers: autocommit too, no writes
            assert s.execute(text("SELECT 1")).scalar() == 1
            assert driver_of(s.connection()).autocommit
            with pytest.raises(InvalidRequestError):
                s.execute(text("CREATE TABLE never_made (x INT)"))
    finally:
        engine.dispose()


def test_postgresql_transactions_are_read_committed_whatever_the_server_default(postgres_url: str) -> None:
    # read-only sessions in autocommit read as a transaction would only at READ COMMITTED
    with fresh_postgres_database(postgres_url) as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = connection.scalar(text("SELECT current_database()"))
            connection.execute(
                text(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'")
            )
        admin.dispose()
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as s, s.begin():
                assert s.scalar(text("SHOW transaction_isolation")) == "read committed"
            with engine.connect() as connection:  # the server's default, for contrast
                assert connection.scalar(text("SHOW default_transaction_isolation")) == "repeatable read"
        finally:
            engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)


def terminate(url: str, pid: int) -> None:
    """Close a PostgreSQL connection from the server's side (as a restart does) and wait till it is gone."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10
            alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            while connection.scalar(alive, {"pid": pid}) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        admin.dispose()


def test_a_postgresql_connection_closed_while_idle_is_replaced_before_use(postgres_url: str) -> None:
    engine = make_engine(postgres_url, idle_ping_seconds=0.0)  # any checkin counts as idle
    try:
        first = backend_pid(engine)
        terminate(postgres_url, first)
        assert backend_pid(engine) != first  # pinged, found closed, replaced: no error
    finally:
        engine.dispose()


def test_a_busy_postgresql_connection_is_not_pinged(postgres_url: str) -> None:
    engine = make_engine(postgres_url, idle_ping_seconds=3600.0)
    try:
        first = backend_pid(engine)
        terminate(postgres_url, first)
        with pytest.raises(OperationalError):  # not pinged: its next statement finds it closed
            backend_pid(engine)
        assert backend_pid(engine) != first  # and the pool replaced it
    finally:
        engine.dispose()


def test_only_read_only_connections_check_their_statements(database_url: str) -> None:
    """The write refusal is a listener of the read-only copies of the engine alone: a writer's
    statements pay for no check, a read-only connection still refuses a write (both backends)."""
    engine = make_engine(database_url)
    try:
        assert not engine.dispatch.before_cursor_execute
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INT)"))
        for reader in (read_only_engine(engine), single_read_engine(engine)):
            assert reader.dispatch.before_cursor_execute
            with reader.connect() as connection, pytest.raises(InvalidRequestError):
                connection.execute(text("INSERT INTO t VALUES (1)"))
        with make_sessionmaker(engine, read_only=True)() as s, pytest.raises(InvalidRequestError):
            s.execute(text("DELETE FROM t"))
        with make_sessionmaker(engine)() as s, s.begin():
            s.execute(text("INSERT INTO t VALUES (1)"))
        with make_sessionmaker(engine, read_only=True)() as s:
            assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()
