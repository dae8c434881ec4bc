"""CLR 2.0: a learner's Comprehensive Learner Record, signed by the issuer (scope ``issue``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.routes.credentials import IdempotencyKey
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import clr

router = APIRouter(tags=["CLR"])


class ClrRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"recipient": "ada@example.org"}]},
    )

    recipient: str = Field(
        min_length=3, max_length=320, description="the learner: an email address or a DID/URL"
    )
    include_external: bool = Field(
        default=False,
        alias="includeExternal",
        description="also the badges of other issuers submitted for the learner that verify now",
    )


@router.post(
    "/api/v1/issuers/{issuer}/clr",
    status_code=status.HTTP_201_CREATED,
    summary="Sign a learner's CLR 2.0 ClrCredential: every active badge we awarded them, nested",
    response_model=schemas.ClrIssued,
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def issue_clr(
    issuer: str,
    body: ClrRequest,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Each badge keeps its own proof; the CLR has its own revocation status entry and is stored
    as a record of the issuer (revocable). `association` links pathway targets and their steps."""
    acting_for(caller, issuer, "issue")
    made = clr.issue_clr(
        services,
        issuer=issuer,
        recipient=body.recipient,
        client_id=caller.client_id,
        idempotency_key=idempotency_key,
        scope=request.url.path,
        include_external=body.include_external,
    )
    record = made.issued.record
    headers = {"Location": services.urls.credential(record.id)}
    if made.issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    body_out = {
        "id": record.id,
        "credential": made.issued.credential,
        "totals": {"credentials": made.credentials, "credits": made.credits},
    }
    return JSONResponse(body_out, status_code=201, headers=headers)
