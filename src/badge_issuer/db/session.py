"""Engines and sessions, made on request from a URL (nothing is created at import time)."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidRequestError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

#: execution option marking a read-only session's connections
READ_ONLY = "badge_read_only"
#: execution option marking connections that run single statements outside a transaction
_NO_TRANSACTION = "badge_no_transaction"
_UNDO = "badge_undo_on_rollback"
_WRITER = "badge_sqlite_writer"
_WRITER_WAIT_SECONDS = 30


#: SQLite connections kept open per process (enough for the requests a busy server runs at once),
#: and how many more may be opened beyond them, each closed after use (AnyIO runs up to 40 request
#: threads; the job runner and the verification lane add a few)
SQLITE_POOL_SIZE = 24
SQLITE_MAX_OVERFLOW = 64

#: a pooled connection idle this long is pinged before it is used again
IDLE_PING_SECONDS = 2.0
_IDLE_SINCE = "badge_idle_since"


def make_engine(url: str, *, idle_ping_seconds: float = IDLE_PING_SECONDS) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout, its folder created.

    A server database's pooled connection is pinged before use only when it sat idle for
    ``idle_ping_seconds`` (a restart, a proxy's idle timeout, may have closed it meanwhile): a ping
    on every checkout cost a round trip on each of an award's four transactions (#11). A
    connection the server closed while it was busy fails its next statement once, and the pool
    then replaces every connection older than that failure."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # READ COMMITTED whatever the server's default: read-only sessions run in autocommit,
        # which reads the same only at this level (see read_only_engine), and the row locks of
        # the issuance path are written for it
        engine = create_engine(url, pool_size=10, max_overflow=20, isolation_level="READ COMMITTED")
        _ping_when_idle(engine, idle_ping_seconds)
        return engine
    file_backed = bool(parsed.database) and parsed.database != ":memory:"
    if file_backed:
        from pathlib import Path

        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    # a file's connections stay pooled up to SQLITE_POOL_SIZE: with SQLAlchemy's default of 5, a
    # sixth concurrent request opened a new connection and closed it after use, paying the PRAGMAs
    # and SQLite's parse of the whole schema each time (#11)
    pooling = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_MAX_OVERFLOW} if file_backed else {}
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **pooling)
    across = _ProcessWriteLock(str(parsed.database)) if file_backed else None
    if across is not None:
        event.listen(engine, "engine_disposed", lambda _engine: across.close())

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE can be used
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers of this process queue on a lock rather than in SQLite's busy handler, whose
    # growing sleeps (up to 100 ms a try) gave a p99 near 0.8 s with 8 concurrent issuers; writers
    # of other processes on the same file (``serve --workers N``) queue on a file lock, which the
    # kernel hands over at once, where the busy handler let a waiter starve behind busier processes.
    writers = threading.Lock()

    def _release(info: dict[Any, Any]) -> None:
        # exactly once per acquire, whichever of the events below sees the transaction end first
        if info.pop(_WRITER, False):
            if across is not None:
                across.release()
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # writers take the write lock up front (no deadlock-prone lock upgrades between writers);
        # readers begin a deferred transaction and never wait behind a writer under WAL
        options = connection.get_execution_options()
        if options.get(_NO_TRANSACTION, False):
            return  # each statement is its own transaction (the driver is in autocommit mode)
        if options.get(READ_ONLY, False):
            _begin(connection, "BEGIN")
            return
        if not writers.acquire(timeout=_WRITER_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("database is busy"))
        if across is not None:
            try:
                across.acquire()
            except BaseException:
                writers.release()
                raise
        info = connection.info
        info[_WRITER] = True
        try:
            _begin(connection, "BEGIN IMMEDIATE")
        except BaseException:
            _release(info)  # a no-op when SQLAlchemy's own rollback already released it
            raise

    def _on_end(connection: Any) -> None:
        if not connection.invalidated:  # an invalidated connection is released by the pool event
            _release(connection.info)

    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)

    # a connection checked in without a rollback event, or invalidated, still releases the lock
    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        _release(connection_record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        _release(connection_record.info)

    return engine


def _begin(connection: Any, statement: str) -> None:
    """Open SQLite's transaction on the driver's connection itself: through ``exec_driver_sql`` a
    BEGIN paid SQLAlchemy's whole statement path (events, cursor result), about 40 % of a read
    transaction's overhead (#11). A driver error is raised as SQLAlchemy's, as a statement's is."""
    try:
        connection.connection.driver_connection.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's pre-ping, for connections idle at least ``idle_seconds`` only."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new (the pool connected it just now), or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards this connection and checks out another (a new one if need be)
            raise DisconnectionError("a pooled connection was closed while it was idle") from exc


class _ProcessWriteLock:
    """An exclusive ``flock`` on ``<database>.writer``, taken by this process's one writer at a time
    (the thread lock above is held around it, so threads never share the descriptor's lock)."""

    def __init__(self, database: str) -> None:
        self._path = f"{database}.writer"
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl
        import os

        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        import os

        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions whose caller owns each transaction (PostgreSQL's read-only ones run each statement
    in autocommit instead: see ``read_only_engine``).

    ``read_only`` sessions are for requests that only read (``read_only_engine``); a statement
    that writes through one raises ``InvalidRequestError`` (see ``_refuse_writes``).
    """
    bind = read_only_engine(engine) if read_only else engine
    maker = sessionmaker(bind, expire_on_commit=False, autoflush=True)
    event.listen(maker, "after_rollback", _run_undo)
    event.listen(maker, "after_commit", _forget_undo)
    return maker


def read_only_engine(engine: Engine) -> Engine:
    """``engine`` for reading only; a statement that writes through it raises (``_refuse_writes``).

    On SQLite a read transaction never takes the write lock, and its statements share one
    snapshot. On PostgreSQL each statement runs in autocommit mode: at READ COMMITTED, where each
    statement of a transaction takes a snapshot of its own anyway, that reads the same, without
    the BEGIN and ROLLBACK round trips around them (#11)."""
    if engine.dialect.name == "sqlite":
        return _refuse_writes(engine.execution_options(**{READ_ONLY: True}))
    return _refuse_writes(engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True}))


def single_read_engine(engine: Engine) -> Engine:
    """``read_only_engine`` for a connection that runs one statement: on SQLite, too, no transaction
    is opened around it (a statement is consistent on its own)."""
    if engine.dialect.name == "sqlite":
        return _refuse_writes(engine.execution_options(**{READ_ONLY: True, _NO_TRANSACTION: True}))
    return read_only_engine(engine)


#: a statement that writes, after any leading comments: one starting with a writing keyword, a
#: WITH whose body writes, or a PRAGMA that sets (compiled DML is known by its execution context)
_WRITES = re.compile(
    r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*"
    r"(?:(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COPY|GRANT|REVOKE)\b"
    r"|WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b|PRAGMA\b[^;]*=)",
    re.IGNORECASE | re.DOTALL,
)


def _refuse_writes(engine: Engine) -> Engine:
    """Make a write through a read-only connection an error, not a change PostgreSQL's autocommit
    would keep (or SQLite's rollback would silently drop). A net for our own mistakes, which are
    statements we write, not a sandbox: a write hidden in a function a SELECT calls gets through.

    The listener is put on the read-only copy of the engine only (a copy's listeners are its own):
    on the engine itself every writer's statement paid for an event that had nothing to check (#11)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _check(
        connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if not connection.get_execution_options().get(READ_ONLY, False):
            return
        compiled_write = context is not None and (context.isinsert or context.isupdate or context.isdelete)
        if compiled_write or _WRITES.match(statement):
            raise InvalidRequestError(f"a read-only connection cannot write: {statement[:80]}")

    return engine


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Undo a side effect outside the database (a key file) if ``session``'s transaction rolls back."""
    session.info.setdefault(_UNDO, []).append(undo)


def _run_undo(session: Session) -> None:
    for undo in reversed(session.info.pop(_UNDO, [])):
        undo()


def _forget_undo(session: Session) -> None:
    session.info.pop(_UNDO, None)
