"""Shared fixtures: settings on a temporary SQLite file and key folder, and a real uvicorn server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from badge_issuer.clock import Clock, system_clock
from badge_issuer.config import Settings

# Property tests: a bounded number of examples, no per-example deadline (the CI box is a loaded
# 2-core machine), and derandomized so a failure reproduces on every run and every machine; the
# falsifying example is printed. HYPOTHESIS_PROFILE=explore searches further with fresh randomness.
hypothesis_settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated in ``tmp_path``; keyword arguments override fields."""

    def build(**overrides: object) -> Settings:
        fields: dict[str, object] = {
            "database_url": f"sqlite:///{tmp_path / 'badges.sqlite3'}",
            "keys_dir": tmp_path / "keys",
            "base_url": "http://127.0.0.1:8000",
            # no verification worker processes (each app would spawn them at start): every
            # verification runs in-process; the tests of the heavy lane ask for workers
            "verify_workers": 0,
            # PostgreSQL: no bulk-job worker in each app (its queue connections outlive a test's
            # database by a second); the job tests ask for one
            "job_inline_worker": False,
            # each app started by a test would freeze the whole test process's objects
            "gc_freeze": False,
        }
        fields.update(overrides)
        return Settings(**fields)  # type: ignore[arg-type]

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("BADGE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("BADGE_TEST_POSTGRES_URL is not set")
    return url


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``base_url``; yields its URL and drops it afterwards."""
    name = f"badge_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: SQLite in ``tmp_path``, and PostgreSQL when BADGE_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'storage.sqlite3'}"
        return
    base = os.environ.get("BADGE_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("BADGE_TEST_POSTGRES_URL is not set")
    with fresh_postgres_database(base) as url:
        yield url


class LiveServer:
    """The real app under uvicorn on 127.0.0.1, in a background thread."""

    def __init__(
        self, settings: Settings, port: int, clock: Clock, new_id: Callable[[], str] | None = None
    ) -> None:
        from badge_issuer.api.app import create_app
        from badge_issuer.application.services import build_services

        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        services = build_services(settings, clock=clock, new_id=new_id) if new_id else None
        self.app = create_app(settings, clock=clock, services=services)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database file at the newest revision, made once per test process by the migrations."""
    from badge_issuer.db.migrate import upgrade
    from badge_issuer.db.session import make_engine

    path = tmp_path_factory.mktemp("migrated") / "badges.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def start_migrated(database_url: str, migrated: Path) -> None:
    """A SQLite database that does not exist yet starts as a copy of ``migrated`` (its migrations,
    ~0.2 s of each live server's start under coverage, were run once); others are left alone."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        target = Path(url.database)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(migrated, target)


@pytest.fixture
def live_server(
    make_settings: Callable[..., Settings], migrated_sqlite: Path
) -> Iterator[Callable[..., LiveServer]]:
    """Start the app under uvicorn: ``live_server(**settings_overrides)`` → LiveServer (stopped after);
    ``new_id`` replaces the app's provider of credential ids."""
    started: list[LiveServer] = []

    def start(
        clock: Clock = system_clock, new_id: Callable[[], str] | None = None, **overrides: object
    ) -> LiveServer:
        from badge_issuer.cli import main

        port = free_port()
        overrides.setdefault("base_url", f"http://127.0.0.1:{port}")
        settings = make_settings(**overrides)
        start_migrated(settings.database_url, migrated_sqlite)
        assert main(["init"], settings) == 0  # the key; the schema is at head already (or is made)
        server = LiveServer(settings, port, clock, new_id)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def serve_process(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``badge-issuer serve --init`` on ``port`` in a process of its own (its output appended to
    ``log``), once it answers /healthz."""
    import httpx

    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "badge_issuer", "serve", "--init", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)


def run_cli(settings: Settings, *args: str) -> str:
    """Run ``badge-issuer ARGS`` in-process against ``settings``; returns what it printed."""
    import contextlib
    import io

    from badge_issuer.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args), settings) == 0
    return out.getvalue()
