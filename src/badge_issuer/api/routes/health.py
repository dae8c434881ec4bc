"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from badge_issuer.api.deps import services_of

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and database readiness")
def healthz(request: Request) -> dict[str, Any]:
    services = services_of(request)
    with services.readers() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok", "did": services.deployment_did}
