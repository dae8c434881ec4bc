"""Commands on badge files, offline or against this deployment: ``verify``, ``bake``, ``unbake``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from badge_issuer.cli.base import CliContext, Refused, cli, open_services, pass_context

MEDIA = {".png": "image/png", ".svg": "image/svg+xml", ".jwt": "text/plain", ".jws": "text/plain"}
MARKS = {"passed": "✓", "warning": "!", "failed": "✗", "indeterminate": "?", "skipped": "-"}


def _read(file: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read {file}: {exc.strerror}") from exc


@cli.command()
@click.argument("file", metavar="FILE|URL")
@click.option("--recipient", metavar="EMAIL", help="Also check that the badge was awarded to EMAIL.")
@click.option(
    "--offline", is_flag=True, help="Do not consult status lists (the report says status was not checked)."
)
@click.option("--challenge", help="A presentation's proof must carry this challenge.")
@click.option("--domain", help="A presentation's proof must be made for this domain.")
@click.option(
    "--subject-is-holder",
    is_flag=True,
    help="A presentation's authenticated holder must be the subject of every credential.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@pass_context
def verify(
    ctx: CliContext,
    file: str,
    recipient: str | None,
    offline: bool,
    challenge: str | None,
    domain: str | None,
    subject_is_holder: bool,
    as_json: bool,
) -> None:
    """Verify a badge FILE (JSON, VC-JWT, baked PNG or SVG; - reads standard input) or the badge at URL.

    Prints the verdict and each check (the report with --json); exits 0 only when verified."""
    from badge_issuer.application.verifying import verify_presented
    from badge_issuer.checks import VerifyOptions

    is_url = file.startswith(("https://", "http://"))
    data = b"" if is_url else _read(file)
    # the same context as the service: this deployment's issuers and status lists come from its
    # database, everyone else's over the guarded fetcher
    with open_services(ctx.settings, migrate=True) as services:
        report = verify_presented(
            services,
            data,
            url=file if is_url else None,
            content_type=MEDIA.get(Path(file).suffix.lower()),
            recipient=recipient,
            options=VerifyOptions(
                check_status=not offline,
                challenge=challenge,
                domain=domain,
                subject_is_holder=subject_is_holder,
            ),
        )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(report.to_json())
    if not report.verified:
        raise click.exceptions.Exit(1)


def _print_report(report: dict[str, Any], indent: str = "") -> None:
    """The verdict, what the badge says, and each check on one line (failing checks first)."""
    summary = report.get("summary", {})
    what = summary.get("achievement") or summary.get("name") or summary.get("presentation") or "the input"
    issuer = (summary.get("issuer") or {}).get("name") or (summary.get("issuer") or {}).get("id")
    verdict = "VERIFIED" if report["verified"] else "NOT VERIFIED"
    click.echo(f"{indent}{verdict}: {what}" + (f" — issued by {issuer}" if issuer else ""))
    for label in ("recipient", "issued", "expires"):
        if summary.get(label):
            click.echo(f"{indent}  {label}: {summary[label]}")
    order = {"failed": 0, "indeterminate": 1, "warning": 2, "passed": 3, "skipped": 4}
    for check in sorted(report["checks"], key=lambda c: order.get(c["status"], 5)):
        click.echo(f"{indent}  {MARKS.get(check['status'], ' ')} {check['id']}: {check['message']}")
    for index, nested in enumerate(report.get("credentials", [])):
        click.echo(f"{indent}  credential {index}:")
        _print_report(nested, indent + "    ")


@cli.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("credential", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The baked image."
)
def bake(image: Path, credential: str, output: Path) -> None:
    """Bake CREDENTIAL (JSON or a VC-JWT; - reads standard input) into IMAGE (PNG or SVG).

    The credential is embedded exactly as given; an earlier baked credential is replaced."""
    from badge_issuer.formats.png import PNG_SIGNATURE, bake_png
    from badge_issuer.formats.svg import bake_svg

    payload = _read(credential).decode("utf-8-sig").strip()
    picture = image.read_bytes()
    if picture.startswith(PNG_SIGNATURE):
        output.write_bytes(bake_png(picture, payload))
    else:
        output.write_text(bake_svg(picture.decode("utf-8-sig"), payload), encoding="utf-8")
    click.echo(f"baked into {output}", err=True)


@cli.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def unbake(image: Path) -> None:
    """Print the credential baked into IMAGE (PNG or SVG), exactly as it was baked."""
    from badge_issuer.formats.png import PNG_SIGNATURE, unbake_png
    from badge_issuer.formats.svg import unbake_svg

    picture = image.read_bytes()
    click.echo(unbake_png(picture) if picture.startswith(PNG_SIGNATURE) else unbake_svg(picture))
