"""Bulk issuance jobs over HTTP: submit JSON lines or CSV (202), follow, download results, cancel, retry."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, StreamingResponse

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import jobs
from badge_issuer.application.jobs import JobView
from badge_issuer.application.services import Services
from badge_issuer.clock import isoformat_z
from badge_issuer.credential.csv_rows import csv_items
from badge_issuer.errors import ParseError, UnsupportedMediaType
from badge_issuer.formats.bounded_json import loads_bounded

router = APIRouter(prefix="/api/v1/issuers/{issuer}", tags=["jobs"])

JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
CSV = "text/csv"
RESULTS_PAGE = 1000


async def job_rows(request: Request) -> list[tuple[int, Any]]:
    """(line, row) for each non-empty line: JSON lines, or CSV with a header line (the columns of
    ``badge-issuer issue --csv``). Read here so the handler runs in the thread pool; the size is
    bounded by BADGE_MAX_BODY_BYTES like every body."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in (*JSON_LINES, CSV):
        raise UnsupportedMediaType(
            "a job is sent as JSON lines (Content-Type: application/x-ndjson) or as CSV (text/csv)"
        )
    data = await request.body()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError("the job is not UTF-8") from None
    if media == CSV:
        achievement = request.path_params.get("achievement", "")
        return list(csv_items(io.StringIO(text, newline=""), achievement, what="the CSV"))
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, loads_bounded(line, what=f"line {number}")))
            except ParseError as exc:
                raise ParseError(f"line {number}: {exc.message}", pointer=f"/{number}") from None
    return rows


JobRows = Annotated[list[tuple[int, Any]], Depends(job_rows)]


def job_json(services: Services, view: JobView) -> dict[str, Any]:
    url = f"{services.urls.base}/api/v1/issuers/{view.issuer}/jobs/{view.id}"
    return {
        "id": view.id,
        "status": view.status,
        "total": view.total,
        "counts": view.counts,
        "createdAt": isoformat_z(view.created_at),
        "updatedAt": isoformat_z(view.updated_at),
        "links": {
            "self": url,
            "results": f"{url}/results",
            "cancel": f"{url}/cancel",
            "retry": f"{url}/retry",
        },
    }


@router.post(
    "/achievements/{achievement}/credentials:jobs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Issue many badges in the background: one row per line, each with its idempotencyKey",
    response_model=schemas.Job,
    response_description="The job, queued (Location: the job; follow counts and status there)",
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON_LINES[0]: {
                    "schema": {
                        "type": "string",
                        "description": "one JSON object per line, as an item of credentials:batch, with its "
                        "idempotencyKey (required)",
                    }
                },
                CSV: {
                    "schema": {
                        "type": "string",
                        "description": "a header line, then one row per award: the columns of badge-issuer "
                        "issue --csv (email or recipient_id, name, idempotency_key, …; a row without a key "
                        "gets one derived from its content)",
                    }
                },
            },
        }
    },
)
def submit(
    issuer: str,
    achievement: str,
    rows: JobRows,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
) -> JSONResponse:
    """Rows are awarded as ``credentials:batch`` awards its items (a row's request hash is that of
    the same award issued alone, so a retry of the row anywhere replays it)."""
    acting_for(caller, issuer, "issue")
    view = jobs.submit_job(
        services,
        issuer=issuer,
        achievement=achievement,
        rows=rows,
        client_id=caller.client_id,
        scope=request.url.path.removesuffix(":jobs"),
    )
    request.app.state.job_runner.wake()
    body = job_json(services, view)
    return JSONResponse(body, status_code=202, headers={"Location": body["links"]["self"]})


@router.get(
    "/jobs/{job_id}",
    summary="A bulk issuance job: status and counts",
    response_model=schemas.Job,
    responses=schemas.responses(*schemas.AUTHED, 422),
)
def get(issuer: str, job_id: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "issue")
    return job_json(services, jobs.get_job(services, issuer, job_id))


@router.get(
    "/jobs/{job_id}/results",
    summary="Per-row results as JSON lines: row, idempotencyKey, status, credentialId, url, problem",
    response_class=StreamingResponse,
    responses=schemas.responses(
        *schemas.AUTHED, 422, ok=200, model=schemas.JobResultLine, media=JSON_LINES[0]
    ),
)
def results(issuer: str, job_id: str, services: ServicesDep, caller: PrincipalDep) -> StreamingResponse:
    acting_for(caller, issuer, "issue")
    first = jobs.job_results(services, issuer, job_id, after=0, limit=RESULTS_PAGE)  # 404 before streaming

    def lines() -> Iterator[bytes]:
        page = first
        while page:
            for row in page:
                line: dict[str, Any] = {
                    "row": row.row,
                    "idempotencyKey": row.idempotency_key,
                    "status": row.state,
                }
                if row.credential_id:
                    line["credentialId"] = row.credential_id
                    line["url"] = services.urls.credential(row.credential_id)
                if row.problem:
                    line["problem"] = row.problem
                yield json.dumps(line, ensure_ascii=False).encode() + b"\n"
            if len(page) < RESULTS_PAGE:
                return
            page = jobs.job_results(services, issuer, job_id, after=page[-1].row, limit=RESULTS_PAGE)

    return StreamingResponse(lines(), media_type=JSON_LINES[0])


@router.post(
    "/jobs/{job_id}/cancel",
    summary="Stop a job: rows not awarded yet stay pending and are not awarded",
    response_model=schemas.Job,
    responses=schemas.responses(*schemas.AUTHED, 422),
)
def cancel(issuer: str, job_id: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "issue")
    return job_json(services, jobs.cancel_job(services, issuer, job_id, client_id=caller.client_id))


@router.post(
    "/jobs/{job_id}/retry",
    summary="Put a job's rejected rows back in the queue",
    response_model=schemas.Job,
    responses=schemas.responses(*schemas.AUTHED, 409, 422),
)
def retry(
    issuer: str, job_id: str, request: Request, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "issue")
    view = jobs.retry_job(services, issuer, job_id, client_id=caller.client_id)
    request.app.state.job_runner.wake()
    return job_json(services, view)
