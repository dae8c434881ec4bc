"""The verification checks, in the order they run (``CHECKS``); see ``verification.py`` for the spine.

Each check has a stable id and returns one ``CheckResult`` (passed | failed | warning |
indeterminate | skipped) with a plain-language message and JSON detail. ``indeterminate`` means the
check could not be completed (fail closed: the credential is then not verified). When a *fatal*
check fails (``format``, ``context``, ``proof``), the checks after it are reported as skipped:
nothing else the document says can be trusted, and no URL it names is fetched.
"""

from __future__ import annotations

from badge_issuer.checks.base import (
    FAILED,
    INDETERMINATE,
    PASSED,
    SKIPPED,
    WARNING,
    Check,
    CheckResult,
    CredentialSchemas,
    DocumentSource,
    Envelope,
    KeyUse,
    Status,
    StatusSource,
    Subject,
    VerifyContext,
    VerifyOptions,
)
from badge_issuer.checks.clr import clr_check
from badge_issuer.checks.context import context_check
from badge_issuer.checks.endorsements import endorsements_check
from badge_issuer.checks.format import format_check
from badge_issuer.checks.issuer_key import issuer_key_check
from badge_issuer.checks.proof import proof_check
from badge_issuer.checks.schema import schema_check
from badge_issuer.checks.status import FetchStatusSource, status_check
from badge_issuer.checks.validity import validity_check

CHECKS: tuple[Check, ...] = (
    format_check,
    context_check,
    schema_check,
    proof_check,
    issuer_key_check,
    validity_check,
    status_check,
    endorsements_check,
    clr_check,
)

#: checks that must have *passed* (not merely not failed) for a credential to be verified
REQUIRED = frozenset({"format", "context", "proof", "issuer_key"})

__all__ = [
    "CHECKS",
    "FAILED",
    "INDETERMINATE",
    "PASSED",
    "REQUIRED",
    "SKIPPED",
    "WARNING",
    "Check",
    "CheckResult",
    "CredentialSchemas",
    "DocumentSource",
    "Envelope",
    "FetchStatusSource",
    "KeyUse",
    "Status",
    "StatusSource",
    "Subject",
    "VerifyContext",
    "VerifyOptions",
]
