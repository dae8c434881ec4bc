"""Logs, request ids, audit lines and Prometheus metrics. Nothing here runs at import time."""

from badge_issuer.observability.logs import (
    AccessLogRedaction,
    actor,
    audit,
    configure_logging,
    current_request_id,
    redact_target,
    request_id_scope,
)
from badge_issuer.observability.metrics import Metrics

__all__ = [
    "AccessLogRedaction",
    "Metrics",
    "actor",
    "audit",
    "configure_logging",
    "current_request_id",
    "redact_target",
    "request_id_scope",
]
