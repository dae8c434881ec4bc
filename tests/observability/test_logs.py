"""Log lines: JSON with the request id, audit lines, and no personal data in access targets."""

from __future__ import annotations

import io
import json
import logging

import pytest

from badge_issuer.observability.logs import (
    AccessLogRedaction,
    JsonFormatter,
    RequestIdFilter,
    accept_request_id,
    audit,
    configure_logging,
    redact_query,
    redact_target,
    request_id_scope,
)


@pytest.mark.parametrize(
    ("target", "hidden"),
    [
        ("/api/v1/issuers/uni/credentials?recipient=ada@example.org", "ada"),
        ("/api/v1/issuers/uni/credentials?recipient=ada%40example.org&limit=5", "ada"),
        ("/x?q=someone%2Bbadges@example.org", "someone"),
        ("/x?email=plain-text-no-at", "plain-text"),
        ("/x?filter=ada@example.org", "ada"),
    ],
)
def test_personal_query_values_are_redacted(target: str, hidden: str) -> None:
    redacted = redact_target(target)
    assert hidden not in redacted
    assert "[redacted]" in redacted
    assert redacted.startswith(target.partition("?")[0])


def test_harmless_parameters_stay_readable() -> None:
    assert redact_query("limit=5&cursor=abc") == "limit=5&cursor=abc"
    assert redact_target("/healthz") == "/healthz"


def test_request_ids_from_callers_are_kept_only_when_plain() -> None:
    assert accept_request_id("req-42.a") == "req-42.a"
    for bad in (None, "", "x" * 129, "two words", "line\nbreak"):
        generated = accept_request_id(bad)
        assert generated != bad
        assert len(generated) == 32


def _json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_id_and_audit_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("badge_issuer.audit")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with request_id_scope("rid-1"):
            audit("credential.issued", actor="client:abc", issuer="uni", credential="urn:uuid:1")
        audit("client.revoked", actor="cli", issuer="uni", client="abc")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    first, second = _json_lines(stream)
    assert first["request_id"] == "rid-1"
    assert first["event"] == "credential.issued"
    assert first["actor"] == "client:abc"
    assert first["logger"] == "badge_issuer.audit"
    assert "time" in first
    assert "request_id" not in second
    assert second["event"] == "client.revoked"


def test_uvicorn_access_records_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/issuers/u/credentials?recipient=ada@example.org", "1.1", 200),
        None,
    )
    assert AccessLogRedaction().filter(record)
    assert "ada" not in record.getMessage()
    assert "GET /api/v1/issuers/u/credentials?recipient=[redacted]" in record.getMessage()


def test_configure_logging_replaces_its_own_handler_and_filters_uvicorn_access() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging("json", "INFO", stream=io.StringIO())
        configure_logging("text", "WARNING", stream=io.StringIO())
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1
        assert root.level == logging.WARNING
        assert any(isinstance(f, AccessLogRedaction) for f in logging.getLogger("uvicorn.access").filters)
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_log_settings_accept_any_case_and_refuse_the_unknown() -> None:
    from pydantic import ValidationError

    from badge_issuer.config import Settings

    # as from the environment: text the Literal types do not admit until validation normalises it
    settings = Settings.model_validate({"log_level": "debug", "log_format": "JSON"})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    with pytest.raises(ValidationError):
        Settings.model_validate({"log_level": "loud"})
