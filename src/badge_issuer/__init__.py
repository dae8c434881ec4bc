"""badge_issuer: an Open Badges 3.0 issuing and verification service.

The public API is the two spines and what they take and give; everything else is internal:

- ``issue_badge(command, *, session, tools) -> IssuedBadge`` (validate → build → sign → store)
- ``verify_badge(presented, *, content_type, ctx) -> VerificationReport`` (unwrap → checks → report)
- ``create_app(settings)``, ``Settings``, and ``errors`` (the one exception tree)

Names are imported on first use, so ``import badge_issuer`` stays cheap for the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from badge_issuer import errors
from badge_issuer.config import Settings

if TYPE_CHECKING:
    from badge_issuer.api.app import create_app
    from badge_issuer.issuance import IssueCommand, IssuedBadge, issue_badge
    from badge_issuer.signing import IssuanceTools
    from badge_issuer.verification import VerificationReport, build_context, verify_badge

__all__ = [
    "IssuanceTools",
    "IssueCommand",
    "IssuedBadge",
    "Settings",
    "VerificationReport",
    "build_context",
    "create_app",
    "errors",
    "issue_badge",
    "verify_badge",
]
__version__ = "0.1.0"

_LAZY = {
    "create_app": "badge_issuer.api.app",
    "IssueCommand": "badge_issuer.issuance",
    "IssuedBadge": "badge_issuer.issuance",
    "IssuanceTools": "badge_issuer.signing",
    "issue_badge": "badge_issuer.issuance",
    "VerificationReport": "badge_issuer.verification",
    "build_context": "badge_issuer.verification",
    "verify_badge": "badge_issuer.verification",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'badge_issuer' has no attribute {name!r}")
    return getattr(import_module(module), name)
