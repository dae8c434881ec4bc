"""Operating the service: first-run setup (deployment key, database schema) and readiness.

The composition root's one place for what a deployment needs before and while it serves; the CLI's
``init``, the app's startup and ``/healthz`` call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from badge_issuer.application.services import Services
from badge_issuer.db.migrate import upgrade
from badge_issuer.readiness import Readiness, check_readiness


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
    created = not services.keystore.exists(services.settings.deployment_key)
    if created:
        services.keystore.create(services.settings.deployment_key)
    migrate(services)
    return Initialised(created, services.engine.url.render_as_string(hide_password=True))


def readiness(services: Services) -> Readiness:
    """Database reachable, schema at head, every issuer's signing key loadable and the recorded one."""
    return check_readiness(services.engine, services.readers, services.signer_for)
