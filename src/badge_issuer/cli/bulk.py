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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from badge_issuer.credential.csv_rows import COLUMNS, CsvError, csv_items, derived_key
from badge_issuer.credential.requests import BatchItem

__all__ = ["COLUMNS", "CsvError", "Results", "Row", "derived_key", "read_rows", "result_line"]

RESULT_COLUMNS = ("row", "status", "idempotency_key", "credential_id", "url", "baked_png", "error", "claim")
#: ``duplicate``: a row with the same idempotency key as an earlier row, awarded once (by that row)
DONE = frozenset({"created", "replayed"})


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


def read_rows(path: Path, achievement: str) -> Iterator[Row]:
    """The rows of the CSV at ``path`` as batch items for ``achievement`` (CsvError if unusable),
    each validated as the service would validate it."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, item in csv_items(handle, achievement, what=str(path)):
            key = str(item["idempotencyKey"])
            try:
                BatchItem.model_validate(item)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                yield Row(line, key, None, f"{where}: {first['msg']}" if where else first["msg"])
                continue
            yield Row(line, key, item)


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
