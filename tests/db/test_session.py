"""SQLite sessions: readers never wait for writers; the process writer lock is never leaked."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from badge_issuer.db import session as session_module
from badge_issuer.db.session import make_engine, make_sessionmaker


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
