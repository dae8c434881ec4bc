"""``badge-issuer worker`` (its PostgreSQL runs are in tests/api/test_job_workers.py)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from badge_issuer.cli import main
from badge_issuer.config import Settings


def test_the_worker_command_needs_postgresql(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", keys_dir=tmp_path / "keys")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["worker", "--concurrency", "2"], settings) == 2
    assert "only on PostgreSQL" in err.getvalue()
