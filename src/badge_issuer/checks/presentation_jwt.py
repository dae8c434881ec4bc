"""The VP-JWT envelope of a presentation: who signed it, for which ``nonce`` and audience, and when.

A VP-JWT is the holder's compact JWS around the presentation (VC-JWT: ``iss`` = holder, ``nonce`` =
the verifier's challenge, ``aud`` = the verifier, i.e. the domain). It authenticates a holder only
when its key is bound to a DID: the header ``kid`` is a DID URL (a did:key / did:jwk is the key
itself; any other DID is resolved and must list the key under ``authentication``), or the header
``jwk`` is the very key of a did:key / did:jwk ``iss``. A key named any other way authenticates
nobody, so the envelope fails (fail closed). ``iss``, when present, must be that DID; with an
expected challenge the ``nonce`` must equal it, with an expected domain ``aud`` must contain it, and
``exp``/``nbf`` must hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from badge_issuer.checks.base import VerifyContext, as_list, short
from badge_issuer.checks.jwt_keys import jwt_key, same_key, self_certified_issuer_key
from badge_issuer.crypto.data_integrity import AUTHENTICATION
from badge_issuer.crypto.did_jwk import is_self_certifying
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.formats.vcjwt import JwtParts, check_header, check_lifetime, verify_jws


@dataclass(frozen=True)
class EnvelopeOutcome:
    """The VP-JWT's verdict: the authenticated DID, or why nobody is authenticated."""

    controller: str | None
    error: str | None
    detail: Mapping[str, Any]


def verify_presentation_jwt(parts: JwtParts, ctx: VerifyContext) -> EnvelopeOutcome:
    """Check the VP-JWT ``parts`` against the caller's expectations in ``ctx.options``."""
    payload, options = parts.payload, ctx.options
    detail: dict[str, Any] = {
        "proof": "VP-JWT",
        "alg": short(parts.header.get("alg"), 20),
        "kid": short(parts.header.get("kid"), 300) if "kid" in parts.header else None,
        "nonce": short(payload.get("nonce"), 200) if "nonce" in payload else None,
        "aud": payload.get("aud") if isinstance(payload.get("aud"), str | list) else None,
    }
    problems = check_header(parts.header)
    controller: str | None = None
    try:
        key = jwt_key(parts, {"issuer": payload.get("iss")}, replace(ctx, proof_purpose=AUTHENTICATION))
        if key.unresolved is not None:
            raise BadgeIssuerError(f"the key named by kid could not be had: {key.unresolved}")
        verify_jws(parts, key.jwk)
        controller = _bound_did(parts, key.jwk, key.method.controller if key.method else None)
    except BadgeIssuerError as exc:
        problems.append(exc.message)
    if controller is None and not problems:
        problems.append(
            "its key is not bound to a DID (the kid must be a DID URL, or the jwk the key of a "
            "did:key/did:jwk iss), so it authenticates nobody"
        )
    issuer = payload.get("iss")
    if controller is not None and issuer is not None and issuer != controller:
        problems.append(f"iss {short(issuer)} is not {short(controller)}, whose key signed it")
    if options.challenge is not None and payload.get("nonce") != options.challenge:
        problems.append(f"its nonce {short(payload.get('nonce'))} is not the expected challenge")
    if options.domain is not None and options.domain not in as_list(payload.get("aud")):
        problems.append(f"its aud {short(payload.get('aud'))} does not name the expected domain")
    problems += check_lifetime(payload, ctx.clock(), ctx.clock_skew)
    if problems:
        detail["valid"], detail["message"] = False, "does not verify: " + "; ".join(problems)
        return EnvelopeOutcome(None, "; ".join(problems), detail)
    detail.update(valid=True, controller=controller, message=f"valid {parts.header['alg']} VP-JWT")
    return EnvelopeOutcome(controller, None, detail)


def _bound_did(parts: JwtParts, jwk: Mapping[str, Any], resolved_controller: str | None) -> str | None:
    """The DID the verified key belongs to, or None when the token does not bind it to one."""
    if resolved_controller is not None:
        return resolved_controller
    kid = parts.header.get("kid")
    if isinstance(kid, str) and is_self_certifying(kid):
        return kid.partition("#")[0]
    issuer = parts.payload.get("iss")
    if isinstance(issuer, str) and kid is None:
        own = self_certified_issuer_key(issuer)
        if own is not None and same_key(own, jwk):
            return issuer
    return None
