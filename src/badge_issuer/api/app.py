"""``create_app(settings)``: the FastAPI application and everything it is built from."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from badge_issuer import __version__
from badge_issuer.api import openapi_doc, problems
from badge_issuer.api.cors import Cors
from badge_issuer.api.head import HeadAsGet
from badge_issuer.api.html import Pages
from badge_issuer.api.limits import BodySizeLimit
from badge_issuer.api.observation import Observation
from badge_issuer.api.rate_limit import RateLimit
from badge_issuer.api.routes import (
    achievements,
    claims,
    clr,
    clr_api,
    credentials,
    dids,
    exchanges,
    images,
    issuers,
    jobs,
    learner_pages,
    oauth,
    ob_api,
    oid4vci,
    oid4vci_authorize,
    operations,
    pages,
    pathways,
    public,
    skills,
    vc_api_issue,
    vc_api_verify,
)
from badge_issuer.api.routes import verify as verify_routes
from badge_issuer.application.job_background import JobBackground
from badge_issuer.application.operations import migrate
from badge_issuer.application.services import Services, build_services
from badge_issuer.clock import Clock, system_clock
from badge_issuer.config import Settings
from badge_issuer.heap import freeze_startup_objects
from badge_issuer.production import check_startup

log = logging.getLogger(__name__)


def app_from_environment() -> FastAPI:
    """The application of one uvicorn worker process (``badge-issuer serve --workers N``): its
    settings from the environment (BADGE_…), its own engine, caches and metrics."""
    from badge_issuer.observability.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    # our middleware writes the access log; uvicorn's stays off, as ``serve`` asked (our logging
    # set-up above ran after uvicorn's in this process, and routed its access logger again)
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False
    return create_app(settings)


def create_app(
    settings: Settings, *, clock: Clock = system_clock, services: Services | None = None
) -> FastAPI:
    """The application: routes, problem+json handlers, and a lifespan that migrates and disposes.

    ``services`` (from ``build_services``) replaces the default composition, e.g. with pinned
    providers; the app then owns it and closes it on shutdown.
    """
    services = services or build_services(settings, clock=clock)
    # bulk jobs: a procrastinate worker (PostgreSQL) or the lease runner (SQLite) in every serving
    # process, resuming any job left unfinished
    runner = JobBackground(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(services)
        # production refuses to start on unsafe settings or issuers' DIDs of another base URL
        check_startup(settings, services.keystore, services.readers, deployment_key=settings.deployment_key)
        # the heavy verification lane's worker processes (BADGE_VERIFY_WORKERS; none: all in-process)
        await to_thread.run_sync(services.verify_pool.start)
        await to_thread.run_sync(runner.start)
        if settings.gc_freeze:  # what starting made lives as long as the process (heap.py)
            frozen = freeze_startup_objects()
            log.info("moved %d objects made while starting out of the garbage collector's sight", frozen)
        yield
        runner.stop()
        services.close()

    # /docs and /redoc serve Swagger UI and ReDoc from the package's own copies: no CDN
    app = FastAPIOffline(
        title="badge_issuer",
        version=__version__,
        summary="Open Badges 3.0 issuing and verification",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.job_runner = runner
    app.state.rate_limits = {
        "verify": RateLimit("verify", settings.verify_rate_limit),
        "pages": RateLimit("pages", settings.page_verify_rate_limit),
        "oauth": RateLimit("oauth", settings.oauth_rate_limit),
    }
    app.state.pages = Pages(settings.base_url)
    problems.install(app)
    # the public verify routes first: the busiest, and the router tries the routers in this order
    # (their paths are fixed strings no other route matches, so the order decides nothing else)
    app.include_router(verify_routes.router)
    app.include_router(operations.router)
    app.include_router(dids.router)
    app.include_router(issuers.router)
    app.include_router(achievements.router)
    app.include_router(credentials.router)
    app.include_router(jobs.router)
    app.include_router(images.router)
    app.include_router(oid4vci.router)
    app.include_router(oid4vci_authorize.router)
    app.include_router(exchanges.router)
    app.include_router(pathways.router)
    app.include_router(skills.router)
    app.include_router(clr.router)
    app.include_router(public.router)
    app.include_router(vc_api_issue.router)
    app.include_router(vc_api_verify.router)
    app.include_router(pages.router)
    app.include_router(oauth.router)
    app.include_router(learner_pages.router)
    app.include_router(ob_api.router)
    app.include_router(clr_api.router)
    app.include_router(claims.router)
    openapi_doc.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, pages=app.state.pages)
    app.add_middleware(HeadAsGet)
    app.add_middleware(Cors, origins=settings.cors_origins)
    # outermost of ours: request ids, access log and request metrics see every answer
    app.add_middleware(Observation, metrics=services.metrics)
    return app
