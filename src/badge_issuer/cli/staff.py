"""Staff commands, run with an issuer's API key against the service's HTTP API (any deployment):
``issue --csv`` (bulk awards from a spreadsheet), ``achievements create|list`` and ``revoke``.

The service is ``--url`` (default ``BADGE_BASE_URL``), the key ``--api-key`` (``BADGE_API_KEY``)
and the issuer ``--issuer`` (``BADGE_ISSUER``). Their scopes and audit trail apply as for any client.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from click._termui_impl import ProgressBar

from badge_issuer.cli.api_client import ApiClient
from badge_issuer.cli.base import CliContext, Refused, cli, emit, pass_context
from badge_issuer.cli.bulk import CsvError, Results, Row, read_rows, result_line

#: items per batch request (the service takes up to 1,000)
BATCH = 500


def _service_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        (
            click.option("--url", envvar="BADGE_BASE_URL", help="The service (default: BADGE_BASE_URL)."),
            click.option(
                "--api-key",
                envvar="BADGE_API_KEY",
                required=True,
                help="An API key of the issuer (default: BADGE_API_KEY).",
            ),
            click.option(
                "--issuer", envvar="BADGE_ISSUER", required=True, help="The issuer's slug (BADGE_ISSUER)."
            ),
        )
    ):
        command = option(command)
    return command


def _client(ctx: CliContext, url: str | None, api_key: str, issuer: str) -> ApiClient:
    return ApiClient(url or ctx.settings.base_url, api_key, issuer)


@cli.command()
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The spreadsheet export (columns: see the README).",
)
@click.option("--achievement", required=True, help="The achievement's slug.")
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the per-row results go (default: FILE.results.csv); a re-run resumes from it.",
)
@click.option("--dry-run", is_flag=True, help="Validate every row and send nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=BATCH,
    show_default=True,
    help="Rows per request (the service takes up to 1,000).",
)
@_service_options
@pass_context
def issue(
    ctx: CliContext,
    csv_path: Path,
    achievement: str,
    results: Path | None,
    dry_run: bool,
    batch_size: int,
    url: str | None,
    api_key: str,
    issuer: str,
) -> None:
    """Award ACHIEVEMENT to every row of a CSV file, in batches, safe to interrupt and run again.

    Exits 0 when every row was awarded (or, with --dry-run, is valid), 1 when some were not."""
    try:
        rows = list(read_rows(csv_path, achievement))
    except (CsvError, UnicodeDecodeError, OSError) as exc:
        raise Refused(str(exc)) from exc
    invalid = [row for row in rows if row.item is None]
    duplicates = _duplicates(rows)
    if dry_run:
        for row in invalid:
            click.echo(f"line {row.line}: {row.error}", err=True)
        for row, first in duplicates:
            click.echo(f"line {row.line}: same idempotency key as line {first} (awarded once)", err=True)
        click.echo(f"{len(rows) - len(invalid)} valid row(s), {len(invalid)} invalid", err=True)
        if invalid:
            raise click.exceptions.Exit(1)
        return
    ledger = Results.load(results or csv_path.with_name(csv_path.name + ".results.csv"))
    ledger.append(
        {"row": row.line, "status": "invalid", "idempotency_key": row.key, "error": row.error}
        for row in invalid
        if row.key not in ledger.done
    )
    ledger.append(
        {"row": row.line, "status": "duplicate", "idempotency_key": row.key, "error": f"same as line {first}"}
        for row, first in duplicates
    )
    repeated = {row.line for row, _ in duplicates}
    todo = [
        row
        for row in rows
        if row.item is not None and row.key not in ledger.done and row.line not in repeated
    ]
    skipped = sum(1 for row in rows if row.key in ledger.done)
    if skipped:
        click.echo(f"resuming: {skipped} row(s) already awarded per {ledger.path}", err=True)
    counts = {"created": 0, "replayed": 0, "rejected": 0}
    with _client(ctx, url, api_key, issuer) as client:
        # a wrong slug stops here with one line (the public document: an issue-only key can't read)
        client.get(f"{client.base_url}/issuers/{issuer}/achievements/{achievement}")
        _send(client, achievement, todo, batch_size, ledger, counts)
    ledger.rewrite(rows)
    emit({**counts, "alreadyDone": skipped, "invalid": len(invalid), "results": str(ledger.path)})
    if counts["rejected"] or invalid:
        raise click.exceptions.Exit(1)


def _send(
    client: ApiClient, achievement: str, todo: list[Row], size: int, ledger: Results, counts: dict[str, int]
) -> None:
    """Post ``todo`` in batches of ``size``, recording each batch's results as soon as it returns."""
    with Progress(len(todo)) as advance:
        path = f"/achievements/{achievement}/credentials:batch"
        for chunk in _chunks(todo, size):
            answer = client.post(path, {"items": [row.item for row in chunk]})
            lines = [result_line(row, outcome) for row, outcome in zip(chunk, answer["results"], strict=True)]
            ledger.append(lines)
            for line in lines:
                counts[str(line["status"])] = counts.get(str(line["status"]), 0) + 1
            advance(len(chunk))


def _duplicates(rows: list[Row]) -> list[tuple[Row, int]]:
    """Rows whose idempotency key an earlier row has, with that row's line (awarded once, by it)."""
    first: dict[str, int] = {}
    found = []
    for row in rows:
        if row.key in first:
            found.append((row, first[row.key]))
        else:
            first[row.key] = row.line
    return found


def _chunks(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Progress:
    """A progress bar on standard error with rows/s and an ETA (quiet when nothing is to be done)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.bar: ProgressBar[int] = click.progressbar(
            length=max(total, 1),
            label="issuing",
            show_eta=True,
            show_percent=True,
            item_show_func=self._rate,
            file=sys.stderr,
        )

    def _rate(self, _: int | None) -> str | None:
        elapsed = time.monotonic() - self.start
        return f"{self.done / elapsed:,.0f} rows/s" if self.done and elapsed > 0 else None

    def __enter__(self) -> Callable[[int], None]:
        self.bar.__enter__()

        def advance(count: int) -> None:
            self.done += count
            self.bar.update(count, self.done)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]


@cli.group()
def achievements() -> None:
    """An issuer's achievements (through the API)."""


@achievements.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The achievement's name, as badges show it.")
@click.option("--description", required=True, help="What it certifies.")
@click.option("--criteria", required=True, help="What the learner did to earn it (narrative).")
@click.option("--image", help="An image URL (or one an image upload returned).")
@click.option(
    "--from-json",
    "from_json",
    type=click.File("r"),
    help="More fields (alignment, tag, achievementType…) as the API's JSON.",
)
@_service_options
@pass_context
def achievements_create(
    ctx: CliContext,
    slug: str,
    name: str,
    description: str,
    criteria: str,
    image: str | None,
    from_json: Any,
    url: str | None,
    api_key: str,
    issuer: str,
) -> None:
    """Create achievement SLUG; prints it."""
    body: dict[str, Any] = json.load(from_json) if from_json is not None else {}
    if not isinstance(body, dict):
        raise Refused("--from-json must hold a JSON object")
    body.update(slug=slug, name=name, description=description, criteria={"narrative": criteria})
    if image:
        body["image"] = image
    with _client(ctx, url, api_key, issuer) as client:
        emit(client.post("/achievements", body))


@achievements.command("list")
@_service_options
@pass_context
def achievements_list(ctx: CliContext, url: str | None, api_key: str, issuer: str) -> None:
    """List the issuer's achievements (one JSON object a line)."""
    with _client(ctx, url, api_key, issuer) as client:
        answer = client.get("/achievements")
    for item in answer.get("items", answer) if isinstance(answer, dict) else answer:
        emit(item)


@cli.command()
@click.argument("credential")
@click.option("--reason", required=True, help="Why (kept in the audit history, never published).")
@click.option(
    "--action",
    type=click.Choice(["revoke", "suspend", "unsuspend"]),
    default="revoke",
    show_default=True,
    help="Revocation is permanent; suspension can be undone.",
)
@_service_options
@pass_context
def revoke(
    ctx: CliContext, credential: str, reason: str, action: str, url: str | None, api_key: str, issuer: str
) -> None:
    """Revoke (or suspend, unsuspend) CREDENTIAL: its record id or its URL. Safe to repeat."""
    record_id = credential.rstrip("/").rsplit("/", 1)[-1]
    with _client(ctx, url, api_key, issuer) as client:
        emit(client.post(f"/credentials/{record_id}/{action}", {"reason": reason}))
