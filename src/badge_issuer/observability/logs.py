"""Structured logging: a JSON (or text) format, the request id of every line, audit lines, and
an access log that never carries personal data.

``configure_logging`` is called by the process that owns logging (``badge-issuer serve``); a
library must not configure logging on import. The request id lives in a ``ContextVar`` set per
request by the HTTP middleware, so every line logged while serving that request names it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

_REQUEST_ID: ContextVar[str | None] = ContextVar("badge_issuer_request_id", default=None)
#: an incoming X-Request-ID is kept only if it is short and plain (it is echoed and logged)
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
#: query parameters whose value is always personal or secret
SENSITIVE_PARAMETERS = frozenset({"recipient", "email", "identity", "name", "token", "key", "api_key"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
REDACTED = "[redacted]"
AUDIT_LOGGER = "badge_issuer.audit"
#: marks the handler ``configure_logging`` installed, so a second call replaces it
_OURS = "_badge_issuer_handler"


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def accept_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is acceptable, otherwise a new one."""
    if incoming and _ACCEPTABLE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


@contextmanager
def request_id_scope(request_id: str) -> Iterator[str]:
    token = _REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        _REQUEST_ID.reset(token)


def redact_query(query: str) -> str:
    """The query string with personal values replaced: sensitive names, and anything like an email."""
    if not query:
        return query
    parts = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in SENSITIVE_PARAMETERS or _EMAIL.search(value) or _EMAIL.search(name):
            value = REDACTED
        if _EMAIL.search(name):
            name = REDACTED
        parts.append(f"{quote(name, safe='')}={quote(value, safe='[]')}")
    return "&".join(parts)


def redact_target(target: str) -> str:
    """A request target (path, optionally ``?query``) fit for a log line."""
    path, mark, query = target.partition("?")
    if _EMAIL.search(path):
        path = _EMAIL.sub(REDACTED, path)
    return f"{path}?{redact_query(query)}" if mark else path


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _REQUEST_ID.get() or "-"
        return True


class AccessLogRedaction(logging.Filter):
    """Redacts the request target in uvicorn's own access log lines (``uvicorn.access``).

    uvicorn logs ``'%s - "%s %s HTTP/%s" %d'`` with the full path and query as the third argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _REQUEST_ID.get()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value…`` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def configure_logging(log_format: str = "text", level: str = "INFO", *, stream: Any = None) -> None:
    """Route every logger (uvicorn's too) to one handler on the root logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    install_access_redaction()


def install_access_redaction() -> None:
    """Make sure uvicorn's access logger, if it logs at all, never shows a query in clear."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogRedaction) for f in access.filters):
        access.addFilter(AccessLogRedaction())


def actor(client_id: int | None) -> str:
    """Who acted, for an audit line: an API client by its id, or the command line."""
    return "cli" if client_id is None else f"client:{client_id}"


def audit(event: str, **fields: Any) -> None:
    """One audit line: what happened (``event``), by whom and to what (ids only, no personal data)."""
    logging.getLogger(AUDIT_LOGGER).info(event, extra={"fields": {"event": event, **fields}})
