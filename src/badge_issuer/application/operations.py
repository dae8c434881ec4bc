"""Operating the service: first-run setup (deployment key, database schema) and readiness.

The composition root's one place for what a deployment needs before and while it serves; the CLI's
``init``, the app's startup and ``/healthz`` call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from badge_issuer.application.services import DEPLOYMENT_KEY, Services
from badge_issuer.db.migrate import upgrade


@dataclass(frozen=True)
class Initialised:
    #: whether the deployment key was created now (False: it was there)
    created_key: bool
    #: the database URL, without its password
    database: str


def migrate(services: Services) -> None:
    """Bring the database schema to the newest revision (idempotent)."""
    upgrade(services.engine)


def initialise(services: Services) -> Initialised:
    """Create the deployment's signing key and the database schema, each only if missing."""
    created = not services.keystore.exists(DEPLOYMENT_KEY)
    if created:
        services.keystore.create(DEPLOYMENT_KEY)
    migrate(services)
    return Initialised(created, services.engine.url.render_as_string(hide_password=True))


def check_database(services: Services) -> None:
    """Raise unless the database answers a trivial query (readiness)."""
    with services.readers() as session:
        session.execute(text("SELECT 1"))
