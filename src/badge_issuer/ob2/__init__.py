"""Open Badges 2.0 verification: hosted and signed Assertions, with the OB 3.0 report's check ids."""

from __future__ import annotations

from badge_issuer.ob2.documents import OB2_CONTEXT, is_ob2_assertion
from badge_issuer.ob2.verifier import Ob2Verdict, verify_ob2

__all__ = ["OB2_CONTEXT", "Ob2Verdict", "is_ob2_assertion", "verify_ob2"]
