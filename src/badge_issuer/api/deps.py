"""FastAPI dependencies: everything comes from the Services built by ``create_app``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from badge_issuer.application.services import Services


def services_of(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


async def _services(request: Request) -> Services:
    # async: FastAPI runs a sync dependency in the thread pool, a round trip for an attribute read
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]
