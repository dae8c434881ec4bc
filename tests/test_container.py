"""The container, as far as a machine without a Docker engine can check it: the Dockerfile and
compose.yaml follow the rules (multi-stage, non-root, exec form, health check, volumes, production
checks on, two replicas behind a proxy on PostgreSQL), and the image's install step — the wheel
installed into a fresh environment — gives a `badge-issuer serve --init` that starts in production
mode, answers /healthz and stops at once on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [index for index, (word, _) in enumerate(found) if word == "FROM"]
    return found[starts[-1] :]


def test_the_dockerfile_builds_a_small_non_root_image_with_an_exec_form_entrypoint() -> None:
    found = instructions((ROOT / "Dockerfile").read_text())
    assert sum(word == "FROM" for word, _ in found) >= 2  # multi-stage
    final = final_stage(found)
    text = " ".join(arguments for _, arguments in final)
    assert not re.search(r"\b(gcc|g\+\+|build-essential|python -m build|pip install[^&]*\bbuild\b)", text)
    users = [arguments for word, arguments in final if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    entrypoint = [arguments for word, arguments in final if word == "ENTRYPOINT"]
    command = [arguments for word, arguments in final if word == "CMD"]
    assert json.loads(entrypoint[-1]) == ["badge-issuer"]  # exec form: PID 1 gets SIGTERM
    assert json.loads(command[-1])[:2] == ["serve", "--init"]
    health = [arguments for word, arguments in final if word == "HEALTHCHECK"]
    assert health and "/healthz" in health[-1]
    assert json.loads(health[-1].partition("CMD")[2])[0] == "python"  # exec form, no curl needed
    env = " ".join(arguments for word, arguments in final if word == "ENV")
    assert "PYTHONUNBUFFERED=1" in env and "BADGE_ENVIRONMENT=production" in env
    volumes = json.loads(next(arguments for word, arguments in final if word == "VOLUME"))
    assert volumes == ["/home/badges/keys", "/home/badges/var"]
    setup = next(arguments for word, arguments in final if word == "RUN")
    assert "chown -R badges:badges /home/badges/keys /home/badges/var" in setup  # writable by the user
    assert (ROOT / ".dockerignore").read_text().count(".venv") == 1


def test_compose_runs_two_replicas_behind_a_proxy_on_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    assert "ports" not in app  # reachable only through the proxy
    assert app["environment"]["BADGE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app["environment"]["BADGE_ENVIRONMENT"] == "production"
    assert app["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["init"]["command"] == ["init"]  # key and schema once, not by each replica
    assert any(volume.endswith(":ro") for volume in app["volumes"])
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx")
    config = ROOT / proxy["volumes"][0].split(":")[0]
    assert "server app:8000" in config.read_text()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel installed into a new virtual environment (its dependencies are the test
    environment's, through a .pth file): what the image's install step puts on the PATH."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
    )
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    [wheel] = folder.glob("*.whl")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    return venv / "bin" / "badge-issuer"


def test_the_installed_wheel_serves_in_production_mode_and_stops_on_sigterm(
    installed: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BADGE_")},
        "BADGE_ENVIRONMENT": "production",
        "BADGE_BASE_URL": "https://badges.example.edu",
        "BADGE_RECIPIENT_PEPPER": "a-pepper-only-this-test-knows-0123456789",
        "BADGE_KEY_PASSPHRASE": "correct horse battery staple",
        "BADGE_DEPLOYMENT_KEY": "main",
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_DATABASE_URL": f"sqlite:///{tmp_path}/badges.sqlite3",
        "BADGE_LOG_FORMAT": "json",
    }
    command = [str(installed), "serve", "--init", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline, answer = time.monotonic() + 30, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200, server.poll()
        assert answer.json()["did"] == "did:web:badges.example.edu"
        assert httpx.get(f"http://127.0.0.1:{port}/issuers/nobody/did.json").status_code == 404
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught (so the exit says why)
        assert server.wait(timeout=15) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 10
    finally:
        if server.poll() is None:
            server.kill()
        stderr = server.communicate(timeout=10)[1]
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert lines, "the production image logs JSON lines"
    assert any("shutdown complete" in str(line.get("message", "")).lower() for line in lines), lines[-3:]


def test_production_refuses_to_start_on_dev_settings(installed: Path, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BADGE_")},
        "BADGE_ENVIRONMENT": "production",
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_DATABASE_URL": f"sqlite:///{tmp_path}/badges.sqlite3",
    }
    refused = subprocess.run(
        [str(installed), "serve", "--init"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
    assert "BADGE_RECIPIENT_PEPPER" in refused.stderr
