"""Public verification: ``POST /api/v1/verify`` and ``POST /api/v1/verify:batch`` (no auth).

The answer is the verification report (200 even when the badge does not verify); problem+json only
when the request itself is unusable (empty body, no file, over a size bound), or when it is heavy
and cannot be taken now (503 when the heavy lane is full, 429 while the same client has a heavy
one running; both with ``Retry-After``). Bodies are read by an
async dependency; the handlers are plain ``def`` so verification runs in the thread pool. Query
parameters carry the caller's options (``status=skip``: offline, status lists not consulted;
``challenge``, ``domain`` and ``subject=holder`` for presentations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.rate_limit import rate_limited
from badge_issuer.application import verifying
from badge_issuer.checks import VerifyOptions
from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.bounded_json import loads_bounded

router = APIRouter(tags=["verification"])
MAX_RECIPIENT_CHARS = 320
MAX_URL_REQUEST_BYTES = 8192


@dataclass(frozen=True)
class Presented:
    """The body of a verify request: raw bytes and their media type, or a URL to fetch."""

    data: bytes
    content_type: str | None
    url: str | None = None
    #: an email address to compare with the badge's recipient (multipart field or ``{"url", "recipient"}``)
    recipient: str | None = None


async def presented_body(request: Request) -> Presented:
    """The presented badge: a JSON/text body, ``{"url": …}``, or a multipart ``file`` upload."""
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ParseError("a multipart request needs the badge in a file field named 'file'")
            data = await upload.read()
            content_type = upload.content_type or ""
            field = form.get("recipient")
            recipient = field if isinstance(field, str) else None
    else:
        data = await request.body()
        recipient = None
    if not data.strip():
        raise ParseError('the request body is empty; send a credential, a JWT, an image or {"url": …}')
    url, named = _url_request(data)
    return Presented(data, content_type or None, url, _recipient(recipient or named))


def _recipient(value: str | None) -> str | None:
    """The email address to compare with the badge's recipient, if one was given."""
    if value is None or not value.strip():
        return None
    if len(value) > MAX_RECIPIENT_CHARS:
        raise ParseError(f"recipient is longer than {MAX_RECIPIENT_CHARS} characters", pointer="/recipient")
    return value


def _url_request(data: bytes) -> tuple[str | None, str | None]:
    """The URL and recipient of a ``{"url": "…"}`` body (anything else is for the verifier to judge)."""
    # a {"url", "recipient"} body is small: anything longer is a credential, never parsed here; so is
    # one naming "@context" (a credential whose issuer has a "url", parsed once, by the verifier)
    if (
        len(data) > MAX_URL_REQUEST_BYTES
        or not data.lstrip().startswith(b"{")
        or b'"url"' not in data
        or b'"@context"' in data
    ):
        return None, None
    try:
        value = loads_bounded(data)
    except (ParseError, PayloadTooLarge):
        return None, None
    if isinstance(value, dict) and set(value) in ({"url"}, {"url", "recipient"}):
        for name in value:
            if not isinstance(value[name], str):
                raise ParseError(f"{name} must be a string", pointer=f"/{name}")
        return value["url"], value.get("recipient")
    return None, None


StatusMode = Annotated[
    Literal["check", "skip"],
    Query(
        description="check (default): status lists must be consulted, and a status that cannot be "
        "checked is 'indeterminate' (not verified); skip: offline, status is not checked and the "
        "report says so"
    ),
]


Challenge = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=512,
        description="a presentation must carry a proof (authentication) with this challenge",
    ),
]
Domain = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=512,
        description="a presentation must carry a proof (authentication) made for this domain",
    ),
]
SubjectMode = Annotated[
    Literal["any", "holder"],
    Query(
        description="any (default): report whether a presentation's holder is each credential's "
        "subject; holder: require it (a credential whose subject has no DID then fails)"
    ),
]


async def client_of(request: Request) -> str:
    """Who is asking, for the heavy lane's fairness: the client's address (as the rate limit sees it).

    async: FastAPI runs a sync dependency in the thread pool, a round trip for an attribute read."""
    return request.client.host if request.client is not None else "unknown"


ClientDep = Annotated[str, Depends(client_of)]


#: the public verify routes share one per-client limit (``BADGE_VERIFY_RATE_LIMIT``)
RATE_LIMIT = [Depends(rate_limited("verify"))]


def rate_limited_answers(documented: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``documented`` with its 429 and 503 answers naming the ``Retry-After`` header."""
    retry_after = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
    documented[429] = {
        **documented[429],
        "description": "Too many requests, or a heavy verification while this client has one "
        "running: retry after the Retry-After header",
        "headers": retry_after,
    }
    documented[503] = {
        **documented[503],
        "description": "Not ready, or the heavy verification lane is full: retry after the "
        "Retry-After header (when given)",
        "headers": retry_after,
    }
    return documented


@router.post(
    "/api/v1/verify",
    summary='Verify a badge: JSON, presentation, VC-JWT, baked PNG/SVG upload, or {"url": …}',
    description=(
        "Open Badges 3.0 credentials and Open Badges 2.0 assertions (hosted or signed). An email "
        "address in `recipient` (query parameter, multipart field, or next to `url`) adds a "
        "`recipient` check: is this address the badge's recipient?"
    ),
    response_class=JSONResponse,
    response_description="The report (also when the badge does not verify)",
    dependencies=RATE_LIMIT,
    responses=rate_limited_answers(schemas.responses(400, 422, 429, ok=200, model=schemas.Report)),
)
def verify(
    services: ServicesDep,
    client: ClientDep,
    body: Annotated[Presented, Depends(presented_body)],
    recipient: Annotated[
        str | None,
        Query(max_length=MAX_RECIPIENT_CHARS, description="email address of the expected recipient"),
    ] = None,
    status: StatusMode = "check",
    challenge: Challenge = None,
    domain: Domain = None,
    subject: SubjectMode = "any",
) -> JSONResponse:
    options = VerifyOptions(
        check_status=status == "check",
        challenge=challenge,
        domain=domain,
        subject_is_holder=subject == "holder",
    )
    report = verifying.verify_presented(
        services,
        body.data,
        content_type=body.content_type,
        url=body.url,
        recipient=body.recipient or _recipient(recipient),
        options=options,
        client=client,
    )
    return JSONResponse(report.to_json())


@router.post(
    "/api/v1/verify:batch",
    summary="Verify up to 100 badges",
    description=(
        'Items are credential objects, VC-JWT strings or `{"url": …}` (at most 20). The items '
        "share one CPU budget: an item not verified within it gets a report that failed as "
        "`too complex` (`detail.reason` `too-complex`), and is not verified."
    ),
    response_class=JSONResponse,
    dependencies=RATE_LIMIT,
    responses=rate_limited_answers(schemas.responses(400, 422, 429, ok=200, model=schemas.BatchReport)),
)
def verify_batch(
    services: ServicesDep,
    client: ClientDep,
    body: Annotated[Presented, Depends(presented_body)],
    status: StatusMode = "check",
) -> JSONResponse:
    reports = verifying.verify_batch_request(
        services, body.data, options=VerifyOptions(check_status=status == "check"), client=client
    )
    return JSONResponse(
        {
            "verified": sum(report.verified for report in reports),
            "total": len(reports),
            "items": [report.to_json() for report in reports],
        }
    )
