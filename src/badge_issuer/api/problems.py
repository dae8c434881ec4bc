"""The only place where domain errors become HTTP: RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from badge_issuer import errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:badge-issuer,2026:problem:"

log = logging.getLogger(__name__)

# most specific first: the first class an error is an instance of decides its status
_STATUS: tuple[tuple[type[errors.BadgeIssuerError], int, str], ...] = (
    (errors.PayloadTooLarge, 413, "Payload too large"),
    (errors.RateLimited, 429, "Too many requests"),
    (errors.TooComplex, 422, "Input too complex"),
    (errors.IdempotencyConflict, 409, "Idempotency key reused with a different request"),
    (errors.StateConflict, 409, "Conflicts with the current state"),
    (errors.IdempotencyInProgress, 409, "A request with this Idempotency-Key is in progress"),
    (errors.UnsupportedMediaType, 415, "Unsupported media type"),
    (errors.ParseError, 400, "Request could not be parsed"),
    (errors.ValidationFailed, 422, "Validation failed"),
    (errors.InputError, 400, "Invalid input"),
    (errors.NotFound, 404, "Not found"),
    (errors.Unauthenticated, 401, "Authentication required"),
    (errors.Forbidden, 403, "Forbidden"),
    (errors.JsonLdError, 422, "JSON-LD processing refused the document"),
    (errors.CryptoError, 422, "Cryptographic check failed"),
    (errors.FetchRefused, 422, "Outbound fetch refused"),
    (errors.ResolutionError, 502, "Could not obtain a remote document"),
    (errors.ConfigurationError, 503, "Service unavailable until its configuration is fixed"),
    (errors.Busy, 503, "Service busy"),
)


def problem_body(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem object with a stable ``type`` built from ``code``."""
    body: dict[str, Any] = {"type": TYPE_PREFIX + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def problem_response(
    status: int, code: str, title: str, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response with a stable ``type`` built from ``code``."""
    body = problem_body(status, code, title, detail, **extra)
    sent = dict(headers or {})
    if status == 401:
        sent["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=sent or None)


def problem_for(exc: errors.BadgeIssuerError) -> JSONResponse:
    """The response for a domain error."""
    body = domain_problem(exc)
    headers = {"WWW-Authenticate": "Bearer"} if body["status"] == 401 else None
    if isinstance(exc, errors.RateLimited | errors.Busy | errors.IdempotencyInProgress):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def domain_problem(exc: errors.BadgeIssuerError) -> dict[str, Any]:
    """The problem object for a domain error (also used per item in batch responses)."""
    status, title = next(
        ((status, title) for cls, status, title in _STATUS if isinstance(exc, cls)),
        (500, "Internal error"),
    )
    extra: dict[str, Any] = {"pointer": exc.pointer}
    if isinstance(exc, errors.ValidationFailed) and exc.issues:
        extra["errors"] = [{"pointer": i.pointer, "detail": i.message} for i in exc.issues]
    if isinstance(exc, errors.JsonSyntaxError):
        extra.update(line=exc.line, column=exc.column)
    if isinstance(exc, errors.UndefinedTerms):
        extra["terms"] = list(exc.terms)
    detail = exc.message
    if isinstance(exc, errors.ConfigurationError):
        # the message is for the operator (it may name files or settings); callers get no details
        log.error("configuration error: %s", exc.message)
        detail = "the service cannot do this until its operator fixes its configuration"
        extra = {}
    elif isinstance(exc, errors.Busy):  # expected under load (and under attack): no error line each time
        log.info("refused for capacity: %s", exc.message)
    elif status >= 500:
        log.error("request failed: %s", exc.message)
    return problem_body(status, exc.code, title, detail, **extra)


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's request validation errors as problems: malformed JSON (400, with line and column),
    a body that is not JSON by its media type (415), or fields that do not validate (422)."""
    found = list(exc.errors())
    for err in found:
        if err.get("type") == "json_invalid":
            return problem_for(_json_syntax_error(exc.body, err))
        if tuple(err.get("loc", ())) == ("body",) and isinstance(err.get("input"), bytes | bytearray):
            # FastAPI parses a body as JSON only when its Content-Type says so; it kept the bytes
            return problem_for(
                errors.UnsupportedMediaType(
                    "this operation takes a JSON body: send it with Content-Type: application/json"
                )
            )
    issues = [
        {
            "pointer": "/" + "/".join(str(part) for part in err.get("loc", ())[1:]),
            "detail": str(err.get("msg", "invalid")),
        }
        for err in found
    ]
    first = issues[0] if issues else {"pointer": None, "detail": "invalid request"}
    return problem_response(
        422,
        "validation-failed",
        "Validation failed",
        first["detail"] or "",
        pointer=first["pointer"],
        errors=issues,
    )


def _json_syntax_error(document: object, err: Mapping[str, Any]) -> errors.JsonSyntaxError:
    """Where the JSON went wrong, as line and column (1-based), from FastAPI's character offset."""
    loc = tuple(err.get("loc", ()))
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    text = document if isinstance(document, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    reason = str(err.get("ctx", {}).get("error", "invalid JSON"))
    return errors.JsonSyntaxError(
        f"the body is not valid JSON: {reason} at line {line}, column {column}", line=line, column=column
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette names only the first route's),
    with HEAD wherever GET is (``api/head.py``)."""
    methods = {
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers so that every error leaves as problem+json."""

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.BadgeIssuerError)
        return problem_for(exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        headers = dict(exc.headers or {})
        detail = ""
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        return problem_response(exc.status_code, code, str(exc.detail), detail, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal", "Internal error", "an unexpected error occurred")

    app.add_exception_handler(errors.BadgeIssuerError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
