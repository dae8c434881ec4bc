"""First-run setup and readiness without HTTP or the CLI."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect

from badge_issuer.application import build_services
from badge_issuer.application.operations import initialise, readiness
from badge_issuer.config import Settings


def test_initialise_creates_the_key_and_schema_once(make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings())
    try:
        first = initialise(services)
        public = services.keystore.public_key(services.settings.deployment_key)
        again = initialise(services)
        assert (first.created_key, again.created_key) == (True, False)
        assert services.keystore.public_key(services.settings.deployment_key) == public  # never replaced
        assert first.database.startswith("sqlite:///")
        assert "issuers" in inspect(services.engine).get_table_names()
        assert readiness(services).ready
    finally:
        services.close()
