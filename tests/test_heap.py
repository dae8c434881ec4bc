"""Freezing what starting made: in a process of its own (freezing the test process would keep every
test's objects), then in a real ``badge-issuer serve`` process, on by default and off when asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port, serve_process

CHILD = """
import gc, weakref
from badge_issuer.api.app import create_app  # what a serving process imports
from badge_issuer.heap import freeze_startup_objects

class Node:
    pass

garbage = Node(); garbage.me = garbage  # a reference cycle no one holds: garbage to collect
dead = weakref.ref(garbage); del garbage
kept = Node()
before = len(gc.get_objects(generation=2))
frozen = freeze_startup_objects()
after = len(gc.get_objects(generation=2))
print(before, frozen, after, dead() is None, gc.get_freeze_count(), kept in gc.get_objects() )
"""


def test_freezing_collects_first_then_hides_every_live_object_from_full_collections() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, frozen, after, collected, count, visible = done.stdout.split()
    assert int(before) > 50_000  # the imports alone: every full collection walked them
    assert int(frozen) == int(count) > int(before) // 2
    assert int(after) < 1_000  # what a full collection walks now
    assert collected == "True"  # the cycle was collected before the freeze, not kept forever
    assert visible == "False"  # a frozen object is out of the collector's generations


def serve_log(tmp_path: Path, **env: str) -> str:
    port = free_port()
    tmp_path.mkdir()
    log = tmp_path / "serve.log"
    settings = {
        "BADGE_DATABASE_URL": f"sqlite:///{tmp_path / 'heap.sqlite3'}",
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGE_LOG_LEVEL": "INFO",
        "BADGE_VERIFY_WORKERS": "0",
        **env,
    }
    process = serve_process(settings, port, log)
    process.terminate()
    process.wait(timeout=30)
    return log.read_text()


def test_a_serving_process_freezes_what_it_made_while_starting_unless_told_not_to(tmp_path: Path) -> None:
    said = "objects made while starting out of the garbage collector's sight"
    started = serve_log(tmp_path / "on")
    line = next(line for line in started.splitlines() if said in line)
    assert int(line.split("moved ")[1].split()[0]) > 100_000
    assert said not in serve_log(tmp_path / "off", BADGE_GC_FREEZE="false")
