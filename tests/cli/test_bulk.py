"""CSV rows → batch items: column names, derived idempotency keys, validation, the results file."""

from __future__ import annotations

from pathlib import Path

import pytest

from badge_issuer.cli.bulk import CsvError, Results, derived_key, read_rows, result_line


def sheet(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "awards.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_columns_in_any_spelling_become_the_api_item(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "\ufeffEmail,Name,Evidence-URL,evidenceName,Result Value,result_status,creditsEarned,valid_until\n"
        "ada@example.org,Ada,https://lms.example/s/1,Project,92,Completed,5,2027-01-01T00:00:00Z\n"
        "\n",  # blank lines are skipped
    )
    [row] = list(read_rows(path, "python-data"))
    assert row.line == 2 and row.error is None
    assert row.item == {
        "idempotencyKey": row.key,
        "recipient": {"email": "ada@example.org", "name": "Ada"},
        "evidence": [{"id": "https://lms.example/s/1", "name": "Project"}],
        "result": [{"value": "92", "status": "Completed"}],
        "creditsEarned": "5",
        "validUntil": "2027-01-01T00:00:00Z",
    }


def test_keys_are_stable_and_given_keys_win(tmp_path: Path) -> None:
    path = sheet(tmp_path, "email,idempotency_key\nada@example.org,\nbob@example.org,k-7\n")
    first, second = read_rows(path, "python-data")
    assert first.key == derived_key("python-data", {"email": "ada@example.org"})
    assert first.key != derived_key("sql-basics", {"email": "ada@example.org"})  # per achievement
    assert second.key == "k-7"


def test_invalid_rows_say_why_and_unusable_files_are_refused(tmp_path: Path) -> None:
    rows = list(read_rows(sheet(tmp_path, "email,recipient_id\nada@example.org,did:key:z6Mk\n,\n"), "a"))
    assert rows[0].item is None and "exactly one of recipient.email or recipient.id" in str(rows[0].error)
    with pytest.raises(CsvError, match="unknown column"):
        list(read_rows(sheet(tmp_path, "email,grade\n"), "a"))
    with pytest.raises(CsvError, match="needs an email or a recipient_id"):
        list(read_rows(sheet(tmp_path, "name\nAda\n"), "a"))
    with pytest.raises(CsvError, match="is empty"):
        list(read_rows(sheet(tmp_path, ""), "a"))


def test_the_results_file_remembers_what_was_done(tmp_path: Path) -> None:
    rows = list(read_rows(sheet(tmp_path, "email\nada@example.org\nbob@example.org\n"), "a"))
    ledger = Results.load(tmp_path / "results.csv")
    created = {"status": "created", "id": "r1", "credentialId": "https://x/credentials/r1", "links": {}}
    rejected = {
        "status": "rejected",
        "problem": {"detail": "no", "errors": [{"pointer": "/x", "detail": "bad"}]},
    }
    ledger.append([result_line(rows[0], created), result_line(rows[1], rejected)])
    again = Results.load(tmp_path / "results.csv")
    assert set(again.done) == {rows[0].key}  # the rejected row is tried again next time
    again.rewrite(rows)
    text = (tmp_path / "results.csv").read_text()
    assert text.count("\n") == 3 and "no: /x bad" in text
