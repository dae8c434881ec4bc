"""Issuing (single and batch, idempotent) and issuance records: HTTP ⇄ the application layer."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Path, Query, Request, status
from fastapi.responses import JSONResponse

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.problems import domain_problem
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import claiming, records, stacking
from badge_issuer.application.records import IssuanceRecord, RecordQuery
from badge_issuer.application.services import Services
from badge_issuer.credential.requests import BatchRequest, IssueRequest, Rfc3339, StatusChange
from badge_issuer.issuance import IssuedBadge

router = APIRouter(prefix="/api/v1/issuers/{issuer}", tags=["credentials"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retries with the same key and body return the first response; another body is 409, "
        "as is a retry while the first request is still being processed after 5 s (Retry-After).",
    ),
]


def issued_json(services: Services, issued: IssuedBadge) -> dict[str, Any]:
    record = issued.record
    return {
        "id": record.id,
        "credentialId": issued.credential["id"],
        "credential": issued.credential,
        "links": {
            "credential": issued.credential["id"],
            "verify": f"{services.urls.base}/api/v1/verify",
            "bakedPng": f"{issued.credential['id']}/baked.png",
            "bakedSvg": f"{issued.credential['id']}/baked.svg",
            "claim": claiming.claim_url(services, record.id),
        },
    }


@router.post(
    "/achievements/{achievement}/credentials",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a badge to one recipient",
    response_model=schemas.Issued,
    response_description="The signed OpenBadgeCredential (also on an idempotent replay)",
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def issue(
    issuer: str,
    achievement: str,
    body: IssueRequest,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    acting_for(caller, issuer, "issue")
    issued = stacking.issue_one(
        services,
        issuer=issuer,
        achievement=achievement,
        request=body,
        client_id=caller.client_id,
        idempotency_key=idempotency_key,
        scope=request.url.path,
    )
    headers = {"Location": issued.credential["id"]}
    if issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(issued_json(services, issued), status_code=201, headers=headers)


@router.post(
    "/achievements/{achievement}/credentials:batch",
    summary="Issue up to 1,000 badges; one result per item",
    response_model=schemas.BatchIssued,
    response_model_exclude_unset=True,
    response_description="`results[i]` is created, replayed or rejected (with its problem)",
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def issue_batch(
    issuer: str,
    achievement: str,
    body: BatchRequest,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Each item is atomic on its own: a bad row is reported and never sinks the others."""
    acting_for(caller, issuer, "issue")
    outcomes = stacking.issue_batch(
        services,
        issuer=issuer,
        achievement=achievement,
        items=body.items,
        client_id=caller.client_id,
        idempotency_key=idempotency_key,
        scope=request.url.path.removesuffix(":batch"),
    )
    results: list[dict[str, Any]] = []
    for outcome in outcomes:
        if outcome.issued is not None:
            results.append(
                {"index": outcome.index, "status": outcome.status, **issued_json(services, outcome.issued)}
            )
        elif outcome.error is not None:
            results.append(
                {"index": outcome.index, "status": "rejected", "problem": domain_problem(outcome.error)}
            )
    counts = {
        name: sum(1 for r in results if r["status"] == name) for name in ("created", "replayed", "rejected")
    }
    return {"summary": counts, "results": results}


def record_json(record: IssuanceRecord) -> dict[str, Any]:
    recipient: dict[str, Any] = {"lookupHash": record.recipient_hash}
    if record.recipient_email:
        recipient["email"] = record.recipient_email
    if record.subject_id:
        recipient["id"] = record.subject_id
    out: dict[str, Any] = {
        "id": record.id,
        "credentialId": record.credential_id,
        "achievement": (
            {"slug": record.achievement_slug, "version": record.achievement_version}
            if record.achievement_slug is not None
            else None
        ),
        "recipient": recipient,
        "client": record.client_id,
        "idempotencyKey": record.idempotency_key,
        "status": record.status,
        "created": record.created.isoformat(),
        "updated": record.updated.isoformat(),
        "credential": record.credential,
    }
    if record.history is not None:
        out["history"] = [
            {"action": e.action, "reason": e.reason, "client": e.client_id, "at": e.at.isoformat()}
            for e in record.history
        ]
    return out


@router.get(
    "/credentials",
    summary="List issuance records (newest first, cursor pagination)",
    response_model=schemas.RecordPage,
    responses=schemas.responses(*schemas.AUTHED, 400, 422),
)
def list_records(
    issuer: str,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
    achievement: str | None = None,
    recipient: Annotated[str | None, Query(description="email or DID of the recipient")] = None,
    since: Annotated[Rfc3339 | None, Query(description="issued at or after (RFC 3339)")] = None,
    until: Annotated[Rfc3339 | None, Query(description="issued before (RFC 3339)")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|revoked|suspended)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> JSONResponse:
    acting_for(caller, issuer, "read")
    page = records.list_records(
        services,
        issuer,
        RecordQuery(
            achievement=achievement,
            recipient=recipient,
            since=since,
            until=until,
            status=status_,
            limit=limit,
            cursor=cursor,
        ),
    )
    headers = {}
    if page.next_cursor:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params = urlencode([*kept, ("cursor", page.next_cursor)])
        headers["Link"] = f'<{request.url.path}?{params}>; rel="next"'
    items = [record_json(record) for record in page.items]
    return JSONResponse({"items": items, "next": page.next_cursor}, headers=headers)


@router.get(
    "/credentials/{credential_id}",
    summary="One issuance record",
    response_model=schemas.Record,
    response_model_exclude_unset=True,
    responses=schemas.responses(*schemas.AUTHED),
)
def get_record(
    issuer: str, credential_id: str, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    return record_json(records.get_record(services, issuer, credential_id))


@router.post(
    "/credentials/{credential_id}/{action}",
    summary="Revoke (permanent), suspend or unsuspend a credential (safe to retry)",
    response_model=schemas.Record,
    response_model_exclude_unset=True,
    response_description="The record as it is now, with its audit history",
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def change(
    issuer: str,
    credential_id: str,
    action: Annotated[str, Path(pattern="^(revoke|suspend|unsuspend)$")],
    body: StatusChange,
    services: ServicesDep,
    caller: PrincipalDep,
) -> dict[str, Any]:
    """The reason is stored and audited (who, when, why), never published; the status list changes.

    Safe to retry: asking for the state the credential is already in answers 200 with the record
    as it is (nothing is changed or audited again). Revocation is permanent: suspending or
    unsuspending a revoked credential is a 409 problem, as is suspension for an issuer without it.
    """
    acting_for(caller, issuer, "revoke")
    record = stacking.change_record_status(
        services,
        issuer,
        credential_id,
        action,  # type: ignore[arg-type]
        reason=body.reason,
        client_id=caller.client_id,
    )
    return record_json(record)
