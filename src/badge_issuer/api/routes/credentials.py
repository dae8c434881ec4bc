"""Issuing (single and batch, idempotent) and issuance records. Each handler only calls the spine."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badge_issuer.api.deps import services_of
from badge_issuer.api.problems import domain_problem
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.api.services import Services
from badge_issuer.credential.requests import (
    BatchItem,
    BatchRequest,
    IssueRequest,
    StatusChange,
    lookup_identifier,
)
from badge_issuer.db.credentials import CredentialRepository, RecordFilter
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Credential
from badge_issuer.errors import BadgeIssuerError, Issue, ValidationFailed
from badge_issuer.issuance import IssueCommand, IssuedBadge, issue_badge, recipient_hash, replay, request_hash
from badge_issuer.revocation import change_status

router = APIRouter(prefix="/api/v1/issuers/{issuer}", tags=["credentials"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retries with the same key and body return the first response; another body is 409.",
    ),
]


def issue_once(services: Services, command: IssueCommand) -> IssuedBadge:
    """Run the spine in its own transaction; a concurrent twin with the same key replays."""
    try:
        with services.sessions() as session, session.begin():
            return issue_badge(command, session=session, tools=services.issuance)
    except IntegrityError:
        if command.idempotency_key is None or command.client_id is None:
            raise
        with services.readers() as session:
            earlier = CredentialRepository(session).by_idempotency_key(
                command.client_id, command.idempotency_key
            )
        if earlier is None:
            raise
        return replay(earlier, command.request_hash)


def issued_json(services: Services, issued: IssuedBadge) -> dict[str, Any]:
    record = issued.record
    return {
        "id": record.id,
        "credentialId": issued.credential["id"],
        "credential": issued.credential,
        "links": {"credential": issued.credential["id"], "verify": f"{services.urls.base}/api/v1/verify"},
    }


@router.post(
    "/achievements/{achievement}/credentials",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a badge to one recipient",
    responses={
        201: {"description": "The signed OpenBadgeCredential (also on an idempotent replay)"},
        409: {"description": "Idempotency-Key reused with a different body"},
    },
)
def issue(
    issuer: str,
    achievement: str,
    body: IssueRequest,
    request: Request,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    acting_for(caller, issuer, "issue")
    services = services_of(request)
    payload = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    command = IssueCommand(
        issuer_slug=issuer,
        achievement_slug=achievement,
        request=body,
        client_id=caller.client_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash(request.url.path, payload),
    )
    issued = issue_once(services, command)
    headers = {"Location": issued.credential["id"]}
    if issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(issued_json(services, issued), status_code=201, headers=headers)


@router.post(
    "/achievements/{achievement}/credentials:batch",
    summary="Issue up to 1,000 badges; one result per item",
    responses={200: {"description": "`results[i]` is created, replayed or rejected (with its problem)"}},
)
def issue_batch(
    issuer: str,
    achievement: str,
    body: BatchRequest,
    request: Request,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Each item is atomic on its own: a bad row is reported and never sinks the others."""
    acting_for(caller, issuer, "issue")
    services = services_of(request)
    path = request.url.path.removesuffix(":batch")
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(body.items):
        try:
            item = _item(raw, index)
            key = item.idempotency_key or (f"{idempotency_key}:{index}" if idempotency_key else None)
            payload = item.model_dump(
                mode="json", by_alias=True, exclude_unset=True, exclude={"idempotency_key"}
            )
            issued = issue_once(
                services,
                IssueCommand(
                    issuer_slug=issuer,
                    achievement_slug=achievement,
                    request=item,
                    client_id=caller.client_id,
                    idempotency_key=key,
                    request_hash=request_hash(path, payload),
                ),
            )
            outcome = "replayed" if issued.replayed else "created"
            results.append({"index": index, "status": outcome, **issued_json(services, issued)})
        except BadgeIssuerError as exc:
            results.append({"index": index, "status": "rejected", "problem": domain_problem(exc)})
    counts = {
        name: sum(1 for r in results if r["status"] == name) for name in ("created", "replayed", "rejected")
    }
    return {"summary": counts, "results": results}


def _item(raw: dict[str, Any], index: int) -> BatchItem:
    try:
        return BatchItem.model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue("/" + "/".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ValidationFailed(f"item {index}: {issues[0].message}", issues) from None


def record_json(record: Credential, achievement: tuple[str, int]) -> dict[str, Any]:
    credential = json.loads(record.credential_json)
    recipient: dict[str, Any] = {"lookupHash": record.recipient_hash}
    if record.recipient_email:
        recipient["email"] = record.recipient_email
    subject_id = credential.get("credentialSubject", {}).get("id")
    if subject_id:
        recipient["id"] = subject_id
    return {
        "id": record.id,
        "credentialId": credential["id"],
        "achievement": {"slug": achievement[0], "version": achievement[1]},
        "recipient": recipient,
        "client": record.client_id,
        "idempotencyKey": record.idempotency_key,
        "status": record.status,
        "created": record.created_at.isoformat(),
        "updated": record.updated_at.isoformat(),
        "credential": credential,
    }


def records_json(session: Session, records: list[Credential]) -> list[dict[str, Any]]:
    labels = CredentialRepository(session).achievement_labels(records)
    return [record_json(record, labels[record.id]) for record in records]


@router.get("/credentials", summary="List issuance records (newest first, cursor pagination)")
def list_records(
    issuer: str,
    request: Request,
    caller: PrincipalDep,
    achievement: str | None = None,
    recipient: Annotated[str | None, Query(description="email or DID of the recipient")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|revoked|suspended)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> JSONResponse:
    acting_for(caller, issuer, "read")
    services = services_of(request)
    pepper = services.settings.recipient_pepper.get_secret_value().encode()
    lookup = None
    if recipient is not None:
        lookup = recipient_hash(lookup_identifier(recipient), pepper)
    filters = RecordFilter(
        achievement=achievement, recipient_hash=lookup, since=since, until=until, status=status_
    )
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        records, next_cursor = CredentialRepository(session).page(row.id, filters, limit=limit, cursor=cursor)
        items = records_json(session, records)
    headers = {}
    if next_cursor:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params = urlencode([*kept, ("cursor", next_cursor)])
        headers["Link"] = f'<{request.url.path}?{params}>; rel="next"'
    return JSONResponse({"items": items, "next": next_cursor}, headers=headers)


@router.get("/credentials/{credential_id}", summary="One issuance record")
def get_record(issuer: str, credential_id: str, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    services = services_of(request)
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        record = CredentialRepository(session).get(credential_id, issuer_id=row.id)
        [out] = records_json(session, [record])
        return out


@router.post(
    "/credentials/{credential_id}/{action}",
    summary="Revoke (permanent), suspend or unsuspend a credential",
    responses={404: {"description": "no such credential of this issuer"}},
)
def change(
    issuer: str,
    credential_id: str,
    action: Annotated[str, Path(pattern="^(revoke|suspend|unsuspend)$")],
    body: StatusChange,
    request: Request,
    caller: PrincipalDep,
) -> dict[str, Any]:
    """The reason is stored and audited (who, when, why), never published; the status list changes."""
    acting_for(caller, issuer, "revoke")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        record = change_status(
            session,
            row,
            credential_id,
            action,  # type: ignore[arg-type]
            reason=body.reason,
            client_id=caller.client_id,
            now=services.clock(),
        )
        [out] = records_json(session, [record])
        out["history"] = [
            {"action": e.action, "reason": e.reason, "client": e.client_id, "at": e.at.isoformat()}
            for e in CredentialRepository(session).events(record.id)
        ]
        return out
