"""``badge-issuer worker``: procrastinate workers that run bulk jobs' chunks (PostgreSQL)."""

from __future__ import annotations

import click

from badge_issuer.cli.base import CliContext, Refused, cli, open_services, pass_context


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes on this host (each runs one chunk at a time on one core).",
)
@pass_context
def worker(ctx: CliContext, concurrency: int) -> None:
    """Run bulk jobs: take their chunks from the queue until SIGTERM or Ctrl-C (PostgreSQL; run as
    many as you like, on any host; BADGE_JOB_SIGN_PROCESSES adds building and signing processes
    to each)."""
    from badge_issuer.application.job_queue import serve_workers, uses_queue
    from badge_issuer.observability.logs import configure_logging

    settings = ctx.settings
    if not uses_queue(settings):
        raise Refused(
            "bulk jobs run on a queue only on PostgreSQL (with BADGE_JOB_QUEUE=auto); on SQLite the "
            "serving process runs them itself"
        )
    with open_services(settings, migrate=True):  # the queue's schema too (migration 0011)
        pass
    configure_logging(settings.log_format, settings.log_level)
    click.echo(f"{concurrency} job worker(s) on {settings.database_url.split('@')[-1]}", err=True)
    serve_workers(settings, concurrency)
