"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.problems import problem_response
from badge_issuer.application import operations
from badge_issuer.observability.metrics import Metrics

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="Liveness: the process answers (no dependency is checked)",
    response_model=None,
    responses=schemas.responses(ok=200, model=schemas.Health),
)
def healthz(services: ServicesDep) -> dict[str, Any]:
    return {"status": "ok", "did": services.deployment_did}


@router.get(
    "/readyz",
    summary="Readiness: database reachable, schema at head, signing keys loadable",
    response_model=None,
    response_class=Response,
    responses=schemas.responses(ok=200, model=schemas.Readiness),
)
def readyz(services: ServicesDep) -> Response:
    """503 (problem+json, ``checks`` says which failed and why) while not ready."""
    readiness = operations.readiness(services)
    body = readiness.to_json()
    if readiness.ready:
        return JSONResponse(body)
    reasons = "; ".join(f"{name}: {reason}" for name, reason in readiness.checks.items() if reason)
    return problem_response(503, "not-ready", "Not ready", reasons, checks=body["checks"])


@router.get(
    "/metrics",
    summary="Prometheus metrics of this instance",
    response_model=None,
    response_class=Response,
    responses=schemas.responses(ok=200, model=schemas.PrometheusText, media="text/plain"),
)
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type=Metrics.content_type)
