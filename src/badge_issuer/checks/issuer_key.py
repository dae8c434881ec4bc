"""``issuer_key``: the key behind a valid proof belongs to the credential's issuer.

Data Integrity (OB impl. guide §Key provenance): the verification method resolves (did:key
locally, did:web and HTTPS key documents over guarded HTTPS, our own issuers locally) and its
``controller`` is ``issuer.id``. VC-JWT: a DID ``kid`` needs the same; any other key must be in the
issuer's ``/.well-known/jwks.json`` (with a matching ``iss`` member when it has one), except that a
did:key or did:jwk issuer has exactly one key, the one its DID encodes. Passing needs the key of
*every* proof to belong to the issuer (a VC-JWT's ``iss`` and an OB proof both speak for the
issuer; a second signer we cannot attribute is not waved through); every key is reported.
"""

from __future__ import annotations

from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    SKIPPED,
    CheckResult,
    KeyUse,
    Subject,
    VerifyContext,
    check,
    issuer_id,
    short,
)
from badge_issuer.checks.jwt_keys import issuer_jwks, same_key, self_certified_issuer_key
from badge_issuer.crypto.did_jwk import is_self_certifying
from badge_issuer.errors import BadgeIssuerError

ID = "issuer_key"


def _judge(key: KeyUse, issuer: str, subject: Subject, ctx: VerifyContext) -> tuple[bool, str]:
    """``(belongs to the issuer, what was found)`` for one verified key."""
    if key.method is not None:
        controller = key.method.controller
        if controller == issuer:
            return True, f"{short(key.key_id)} is controlled by the issuer {short(issuer)}"
        return False, (
            f"signed by a key that does not belong to the issuer: {short(key.key_id)} is controlled by "
            f"{short(controller)}, but the issuer is {short(issuer)}"
        )
    if key.jwk is not None and is_self_certifying(issuer):
        try:
            own = self_certified_issuer_key(issuer)
        except BadgeIssuerError as exc:
            return False, exc.message
        if own is not None and same_key(own, key.jwk):
            return True, f"{short(key.key_id)} is the key of the issuer {short(issuer)} itself"
        return False, (
            f"signed by a key that is not the issuer's: {short(key.key_id)} differs from the key "
            f"{short(issuer)} consists of"
        )
    if key.jwk is not None:
        try:
            published = issuer_jwks(subject.credential, ctx)
        except BadgeIssuerError as exc:
            return False, f"could not read the issuer's JWK set to confirm {short(key.key_id)}: {exc.message}"
        match = next((jwk for jwk in published if same_key(jwk, key.jwk)), None)
        if match is None:
            return False, f"signed by a key that is not in the issuer's JWK set ({short(key.key_id)})"
        if "iss" in match and match["iss"] != issuer:
            return False, f"the issuer's JWK set lists the key for {short(match['iss'])}, not {short(issuer)}"
        return True, f"{short(key.key_id)} is in the issuer's JWK set"
    reason = key.unresolved or "its key document could not be obtained"
    return False, (
        f"could not confirm who controls {short(key.key_id)}: {reason} (the signature is valid for the "
        f"key written in the key id, but nothing ties that key to the issuer {short(issuer)})"
    )


@check(ID)
def issuer_key_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    issuer = issuer_id(subject.credential)
    if not subject.keys:
        return CheckResult(ID, SKIPPED, "no proof verified, so there is no key to attribute")
    if issuer is None:
        return CheckResult(ID, FAILED, "the credential names no issuer to check the key against")
    findings: list[dict[str, Any]] = []
    for key in subject.keys:
        belongs, message = _judge(key, issuer, subject, ctx)
        findings.append(
            {"proof": key.proof, "key": key.key_id, "belongsToIssuer": belongs, "message": message}
        )
    detail = {"issuer": issuer, "keys": findings}
    bad = [finding for finding in findings if not finding["belongsToIssuer"]]
    if bad:
        return CheckResult(ID, FAILED, "; ".join(finding["message"] for finding in bad), detail)
    return CheckResult(ID, PASSED, "; ".join(finding["message"] for finding in findings), detail)
