"""Bulk awards from a spreadsheet export: CSV rows → batch items, and a results file to resume by.

Columns (header names in any case; ``-``/space read as ``_``; camelCase accepted): ``email`` or
``recipient_id`` (one of them), ``name``, ``idempotency_key``, ``narrative``, ``evidence_url``,
``evidence_name``, ``result_value``, ``result_status``, ``credits_earned``, ``activity_start_date``,
``activity_end_date``, ``valid_from``, ``valid_until``. Empty cells are absent values. A row without
an ``idempotency_key`` gets one derived from the achievement and the row's content, so running the
same file again never awards twice. Each row is validated as the service would validate it (the
same request model) before anything is sent.

The results file has one line per row: ``row`` (the CSV line number), ``status`` (``created``,
``replayed``, ``duplicate``, ``rejected`` or ``invalid``), ``idempotency_key``, ``credential_id``, ``url``,
``baked_png``, ``error`` and ``claim`` (the award's claim link: a secret for its learner). It is
appended to as batches complete, so an interrupted run leaves what was done; a later run skips
the rows it lists as created or replayed and tries the rest again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from badge_issuer.credential.requests import BatchItem

COLUMNS = (
    "email",
    "recipient_id",
    "name",
    "idempotency_key",
    "narrative",
    "evidence_url",
    "evidence_name",
    "result_value",
    "result_status",
    "credits_earned",
    "activity_start_date",
    "activity_end_date",
    "valid_from",
    "valid_until",
)
RESULT_COLUMNS = ("row", "status", "idempotency_key", "credential_id", "url", "baked_png", "error", "claim")
#: ``duplicate``: a row with the same idempotency key as an earlier row, awarded once (by that row)
DONE = frozenset({"created", "replayed"})
MAX_ROWS = 1_000_000


class CsvError(ValueError):
    """The file cannot be used at all (not CSV, unknown columns, too many rows)."""


@dataclass(frozen=True)
class Row:
    """One spreadsheet row: its line number, its batch item (None when invalid) and why not."""

    line: int
    key: str
    item: dict[str, Any] | None
    error: str | None = None


@dataclass
class Results:
    """What a results file says was done: idempotency key → its result line."""

    path: Path
    done: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Results:
        results = cls(path)
        if path.exists():
            with path.open(newline="", encoding="utf-8") as handle:
                for line in csv.DictReader(handle):
                    if line.get("status") in DONE and line.get("idempotency_key"):
                        results.done[line["idempotency_key"]] = line
        return results

    def append(self, lines: Iterable[dict[str, Any]]) -> None:
        """Add result lines (the file gets its header when new) and flush them to disk."""
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, RESULT_COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            for line in lines:
                writer.writerow(line)
                if line.get("status") in DONE:
                    self.done[str(line["idempotency_key"])] = {k: str(v) for k, v in line.items()}
            handle.flush()

    def rewrite(self, rows: list[Row]) -> None:
        """Rewrite the file with one line per row, in the CSV's order: a row's latest result, or for
        a row done in an earlier run, that run's line."""
        with self.path.open(newline="", encoding="utf-8") as handle:
            latest = {(line["row"], line["idempotency_key"]): line for line in csv.DictReader(handle)}
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, RESULT_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                line = latest.get((str(row.line), row.key))
                if line is None and row.key in self.done:  # the same row at another line before
                    line = {**self.done[row.key], "row": str(row.line)}
                if line is not None:
                    writer.writerow(line)
        temporary.replace(self.path)


def _column(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip()).lower()
    return re.sub(r"[\s-]+", "_", snake)


def read_rows(path: Path, achievement: str) -> Iterator[Row]:
    """The rows of the CSV at ``path`` as batch items for ``achievement`` (CsvError if unusable)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [_column(name) for name in next(reader)]
        except StopIteration:
            raise CsvError(f"{path} is empty") from None
        except csv.Error as exc:
            raise CsvError(f"{path} is not CSV: {exc}") from None
        unknown = [name for name in header if name and name not in COLUMNS]
        if unknown:
            raise CsvError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
        if "email" not in header and "recipient_id" not in header:
            raise CsvError("the CSV needs an email or a recipient_id column")
        try:
            for count, cells in enumerate(reader, start=1):
                if count > MAX_ROWS:
                    raise CsvError(f"more than {MAX_ROWS:,} rows; split the file")
                if not any(cell.strip() for cell in cells):
                    continue
                values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
                yield _row(reader.line_num, {k: v for k, v in values.items() if v}, achievement)
        except csv.Error as exc:
            raise CsvError(f"{path}, line {reader.line_num}: {exc}") from None


def _row(line: int, values: dict[str, str], achievement: str) -> Row:
    key = values.get("idempotency_key") or derived_key(achievement, values)
    item: dict[str, Any] = {"idempotencyKey": key, "recipient": {}}
    if "email" in values:
        item["recipient"]["email"] = values["email"]
    if "recipient_id" in values:
        item["recipient"]["id"] = values["recipient_id"]
    if "name" in values:
        item["recipient"]["name"] = values["name"]
    if "evidence_url" in values or "evidence_name" in values:
        item["evidence"] = [{"id": values.get("evidence_url"), "name": values.get("evidence_name")}]
    if "result_value" in values or "result_status" in values:
        item["result"] = [{"value": values.get("result_value"), "status": values.get("result_status")}]
    for column, name in (
        ("narrative", "narrative"),
        ("activity_start_date", "activityStartDate"),
        ("activity_end_date", "activityEndDate"),
        ("valid_from", "validFrom"),
        ("valid_until", "validUntil"),
    ):
        if column in values:
            item[name] = values[column]
    if "credits_earned" in values:
        item["creditsEarned"] = values["credits_earned"]
    item = _without_none(item)
    try:
        BatchItem.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Row(line, key, None, f"{where}: {first['msg']}" if where else first["msg"])
    return Row(line, key, item)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def derived_key(achievement: str, values: dict[str, str]) -> str:
    """A stable idempotency key for a row: the same achievement and content give the same key."""
    canonical = json.dumps([achievement, sorted(values.items())], ensure_ascii=False, separators=(",", ":"))
    return "csv-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def result_line(row: Row, outcome: dict[str, Any]) -> dict[str, Any]:
    """The results-file line for ``row`` from its item of a batch response."""
    line: dict[str, Any] = {"row": row.line, "status": outcome.get("status"), "idempotency_key": row.key}
    links = outcome.get("links") or {}
    if outcome.get("credentialId"):
        line.update(
            credential_id=outcome.get("id"),
            url=outcome["credentialId"],
            baked_png=links.get("bakedPng"),
            claim=links.get("claim"),
        )
    problem = outcome.get("problem")
    if isinstance(problem, dict):
        line["error"] = _problem_text(problem)
    return line


def _problem_text(problem: dict[str, Any]) -> str:
    detail = problem.get("detail") or problem.get("title") or "rejected"
    errors = problem.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        where = first.get("pointer") or first.get("field") or ""
        return f"{detail}: {where} {first.get('detail') or first.get('message') or ''}".strip()
    return str(detail)
