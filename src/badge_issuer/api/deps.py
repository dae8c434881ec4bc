"""FastAPI dependencies: everything comes from the Services built by ``create_app``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from badge_issuer.api.services import Services


def services_of(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def session(request: Request) -> Iterator[Session]:
    """A session in a transaction that commits when the handler returns and rolls back on error."""
    services = services_of(request)
    with services.sessions() as db, db.begin():
        yield db


ServicesDep = Annotated[Services, Depends(services_of)]
SessionDep = Annotated[Session, Depends(session)]
