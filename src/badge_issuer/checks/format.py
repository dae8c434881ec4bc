"""``format``: a Verifiable Credential (VCDM 1.1 or 2.0) with the shape of an OB 3.0 (or CLR 2.0) credential.

Not a VC at all (no VerifiableCredential type, ``@context[0]`` not a VC context, no issuer or
subject) is fatal: nothing else can be judged. A VC that claims no Open Badges or CLR type is a
generic credential: it passes here and is judged by the VC Data Model rules (``schema`` then
applies ``vcdm.py``, not the OB schemas), its proofs, its issuer's key and its status.
"""

from __future__ import annotations

from collections.abc import Mapping

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    CheckResult,
    Subject,
    VerifyContext,
    as_list,
    check,
    issuer_id,
    short,
    types_of,
)
from badge_issuer.jsonld.loader import VC_V1, VC_V2

OB_TYPES = frozenset(
    {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential", "ClrCredential"}
)
ID = "format"


def vc_version(credential: Mapping[str, object]) -> str | None:
    """``"2.0"`` or ``"1.1"`` by ``@context[0]``, else None."""
    contexts = as_list(credential.get("@context"))
    first = contexts[0] if contexts else None
    return {VC_V2: "2.0", VC_V1: "1.1"}.get(first) if isinstance(first, str) else None


@check(ID, fatal=True)
def format_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    credential = subject.credential
    problems: list[str] = []
    version = vc_version(credential)
    if version is None:
        first = as_list(credential.get("@context"))[:1]
        problems.append(
            f"@context[0] must be {VC_V2} (VC 2.0) or {VC_V1} (VC 1.1), "
            f"not {short(first[0]) if first else 'missing'}"
        )
    types = types_of(credential)
    if "VerifiableCredential" not in types:
        problems.append("type does not include VerifiableCredential")
    if issuer_id(credential) is None:
        problems.append("issuer is missing, or is neither a URL nor an object with an id")
    subject_value = credential.get("credentialSubject")
    if not isinstance(subject_value, Mapping) and not (
        isinstance(subject_value, list)
        and subject_value
        and all(isinstance(s, Mapping) for s in subject_value)
    ):
        problems.append("credentialSubject is missing or not an object")
    detail = {"vcVersion": version, "type": types, "envelope": subject.envelope.format}
    if problems:
        return CheckResult(ID, FAILED, "not a Verifiable Credential: " + "; ".join(problems), detail)
    ob_types = sorted(OB_TYPES & set(types))
    if not ob_types:
        named = ", ".join(short(t, 60) for t in types[:5])
        return CheckResult(
            ID,
            PASSED,
            f"a VC {version} credential ({named}; {subject.envelope.format}), not an Open Badge: judged by "
            f"the VC Data Model {version} rules",
            {**detail, "profile": "vcdm"},
        )
    if not isinstance(subject_value, Mapping):
        return CheckResult(ID, FAILED, "an Open Badge has exactly one credentialSubject object", detail)
    spec = "a CLR 2.0" if ob_types == ["ClrCredential"] else "an OB 3.0"
    return CheckResult(ID, PASSED, f"{spec} {ob_types[0]} (VC {version}, {subject.envelope.format})", detail)
