"""``badge-issuer verify FILE``: prints the report; exit 0 when verified, 1 when not, 2 when unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badge_issuer.cli import main
from tests.badges import Issuer, badge, present, status_entry
from tests.test_verification import tiny_png


def test_cli_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    good = tmp_path / "badge.json"
    good.write_text(json.dumps(signed))
    assert main(["verify", "--json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out)["verified"] is True

    signed["name"] = "Something else"
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(signed))
    assert main(["verify", "--json", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["status"] for c in report["checks"]}["proof"] == "failed"

    assert main(["verify", "--json", str(tmp_path / "missing.json")]) == 2


def test_cli_verify_recipient(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = Issuer()
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(issuer.sign(badge(issuer))))  # awarded to a@example.com
    assert main(["verify", "--json", str(path), "--recipient", "a@example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["checks"][-1]["status"] == "passed"
    assert main(["verify", "--json", str(path), "--recipient", "eve@example.org"]) == 1
    assert json.loads(capsys.readouterr().out)["checks"][-1]["status"] == "failed"


def test_cli_verify_fails_closed_on_an_unfetchable_status_list_unless_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression (#8): the guarded fetcher refuses the list's private address, so status is unknown."""
    issuer = Issuer()
    signed = issuer.sign(badge(issuer, credentialStatus=status_entry(3, "https://127.0.0.1/status/1")))
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(signed))
    assert main(["verify", "--json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    status = next(c for c in report["checks"] if c["id"] == "status")
    assert status["status"] == "indeterminate", status
    assert report["verified"] is False

    assert main(["verify", "--json", "--offline", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    status = next(c for c in report["checks"] if c["id"] == "status")
    assert status["status"] == "skipped" and "offline mode" in status["message"]
    assert report["verified"] is True


def test_cli_verify_presentation_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer, ada = Issuer(), Issuer("Ada")
    path = tmp_path / "vp.json"
    path.write_text(json.dumps(present(ada, [issuer.sign(badge(issuer))], challenge="c-1", domain="d")))
    assert main(["verify", "--json", "--challenge", "c-1", "--domain", "d", str(path)]) == 0, (
        capsys.readouterr()
    )
    capsys.readouterr()
    assert main(["verify", "--json", "--challenge", "c-2", str(path)]) == 1
    capsys.readouterr()
    assert main(["verify", "--json", "--challenge", "c-1", "--subject-is-holder", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["status"] for c in report["checks"]}["holder"] == "failed"


def test_cli_verify_speaks_plainly_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    signed["name"] = "Something else"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(signed))
    assert main(["verify", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("NOT VERIFIED: Data Analysis with Python")
    checks = [line.strip() for line in lines if line.startswith("  ✓") or line.startswith("  ✗")]
    assert checks[0].startswith("✗ proof:")  # the failing check first


def test_cli_bake_and_unbake_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = Issuer()
    text = json.dumps(issuer.sign(badge(issuer)))
    (tmp_path / "badge.json").write_text(text)
    (tmp_path / "art.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "art.png").write_bytes(tiny_png())
    for art in ("art.svg", "art.png"):
        baked = tmp_path / f"baked-{art}"
        assert main(["bake", str(tmp_path / art), str(tmp_path / "badge.json"), "-o", str(baked)]) == 0
        assert main(["unbake", str(baked)]) == 0
        assert capsys.readouterr().out.strip() == text
        assert main(["verify", "--offline", str(baked)]) == 0
        capsys.readouterr()
    assert main(["unbake", str(tmp_path / "art.png")]) == 2  # nothing baked in it
