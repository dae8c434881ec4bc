"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.application import operations

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="Liveness and database readiness",
    response_model=None,
    responses=schemas.responses(ok=200, model=schemas.Health),
)
def healthz(services: ServicesDep) -> dict[str, Any]:
    operations.check_database(services)
    return {"status": "ok", "database": "ok", "did": services.deployment_did}
