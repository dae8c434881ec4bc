"""The W3C VC-API issuer service: ``POST /credentials/issue`` and ``POST /credentials/status``.

Both act for the issuer of the caller's API key (scopes ``issue`` and ``revoke``); the issuer is
never named in the request. HTTP ⇄ the application layer only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.routes.credentials import IdempotencyKey
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import issuing, stacking
from badge_issuer.credential.vc_api_requests import VcIssueRequest, VcStatusRequest

router = APIRouter(tags=["VC-API"])


@router.post(
    "/credentials/issue",
    status_code=status.HTTP_201_CREATED,
    summary="VC-API: sign a VCDM 1.1 or 2.0 credential as the API key's issuer",
    response_model=schemas.VcIssued,
    response_description="The signed credential; `Location` is its public URL here",
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def issue_credential(
    body: VcIssueRequest,
    request: Request,
    services: ServicesDep,
    caller: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Signs any Verifiable Credential (generic or an Open Badge) with the chosen cryptosuite.

    `credential.issuer` must be the issuer's DID (a string, or an object with that `id`) or be
    left out (it is filled in). `options.credentialStatus` adds a `BitstringStatusListEntry` from
    the issuer's lists. A credential that is malformed, uses a context we do not pin, or has terms
    its contexts do not define is a 400/422 problem whose `pointer` names the field. The credential
    is stored as a record of the issuer (listed, revocable); an `Idempotency-Key` makes retries safe.
    """
    acting_for(caller, caller.issuer_slug, "issue")
    options = body.options
    issued = issuing.issue_supplied(
        services,
        issuer=caller.issuer_slug,
        credential=body.credential,
        cryptosuite=options.cryptosuite,
        status_purpose=options.credential_status.status_purpose if options.credential_status else None,
        credential_uri=options.credential_id,
        client_id=caller.client_id,
        idempotency_key=idempotency_key,
        scope=request.url.path,
        payload=body.model_dump(mode="json", by_alias=True, exclude_unset=True),
    )
    headers = {"Location": services.urls.credential(issued.record.id)}
    if issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse({"verifiableCredential": issued.credential}, status_code=201, headers=headers)


@router.post(
    "/credentials/status",
    summary="VC-API: revoke, suspend or unsuspend one of the issuer's credentials",
    response_model=schemas.VcStatusUpdated,
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def update_status(body: VcStatusRequest, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    """`credentialStatus` is `[{type, status}]` (`status`: `revoked`, `suspended`, `active`, or a
    bit — true/`"1"` sets it — of the entry's `statusPurpose`, revocation by default) or one
    `{type, statusPurpose}` with a top-level boolean `status`. `credentialId` is the credential's
    id, its URL here, or the `options.credentialId` it was issued with. Revocation is permanent;
    `reason` (default "VC-API status update") goes to the record's audit history."""
    acting_for(caller, caller.issuer_slug, "revoke")
    record = stacking.change_status_by_reference(
        services,
        caller.issuer_slug,
        body.credential_id,
        body.actions(),
        reason=body.reason,
        client_id=caller.client_id,
    )
    entries = record.credential.get("credentialStatus")
    purposes = [
        entry.get("statusPurpose")
        for entry in (entries if isinstance(entries, list) else [entries] if entries else [])
        if isinstance(entry, dict)
    ]
    state = {"revocation": "revoked", "suspension": "suspended"}
    return {
        "credentialId": body.credential_id,
        "credentialStatus": [
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "status": record.status == state[purpose],
            }
            for purpose in purposes
            if purpose in state
        ],
    }
