"""Award rows from a spreadsheet export (CSV) as batch items: shared by ``badge-issuer issue --csv``
and bulk jobs sent as ``text/csv``.

Columns (header names in any case; ``-``/space read as ``_``; camelCase accepted): ``email`` or
``recipient_id`` (one of them), ``name``, ``idempotency_key``, ``narrative``, ``evidence_url``,
``evidence_name``, ``result_value``, ``result_status``, ``credits_earned``, ``activity_start_date``,
``activity_end_date``, ``valid_from``, ``valid_until``. Empty cells are absent values. A row without
an ``idempotency_key`` gets one derived from the achievement and the row's content, so the same
row sent again never awards twice. Items are not validated here (the caller does, per row).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from badge_issuer.errors import ParseError

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
MAX_ROWS = 1_000_000


class CsvError(ParseError):
    """The file cannot be used at all (not CSV, unknown columns, too many rows)."""


def _column(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip()).lower()
    return re.sub(r"[\s-]+", "_", snake)


def csv_items(lines: Iterable[str], achievement: str, *, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, batch item) for each non-empty row of the CSV ``lines`` (CsvError if unusable)."""
    reader = csv.reader(lines)
    try:
        header = [_column(name) for name in next(reader)]
    except StopIteration:
        raise CsvError(f"{what} is empty") from None
    except csv.Error as exc:
        raise CsvError(f"{what} is not CSV: {exc}") from None
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
            yield reader.line_num, item_of({k: v for k, v in values.items() if v}, achievement)
    except csv.Error as exc:
        raise CsvError(f"{what}, line {reader.line_num}: {exc}") from None


def item_of(values: dict[str, str], achievement: str) -> dict[str, Any]:
    """The batch item of one row's non-empty cells (with its idempotencyKey, given or derived)."""
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
    return _without_none(item)  # type: ignore[no-any-return]


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
