"""VC-JWT (OB 3.0 §"JSON Web Token Proof Format"): a compact JWS over the credential plus claims.

The payload is the credential JSON plus ``iss`` = issuer.id, ``jti`` = id, ``nbf`` = validFrom,
``sub`` = credentialSubject.id and ``exp`` = validUntil; VCDM 1.1 tokens carry the credential in a
``vc`` claim instead. Accepted algorithms: EdDSA (Ed25519), ES256 (P-256, ``r‖s`` signature) and
RS256 (RSA ≥ 2048 bits); ``none`` and HMAC are refused.

The JWS itself (signing, signature verification, JWK import) is joserfc's; this module keeps the
OB 3.0 rules on top: the header table, the claim mapping, the accepted algorithms and key sizes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from badge_issuer.errors import (
    InvalidKey,
    ParseError,
    PayloadTooLarge,
    ProofError,
    SignatureInvalid,
    ValidationFailed,
)
from badge_issuer.formats.bounded_json import loads_bounded
from badge_issuer.formats.jwk import (
    MIN_RSA_BITS,
    PRIVATE_JWK_MEMBERS,
    JoseKey,
    PublicKey,
    b64url_decode,
    import_public_jwk,
    jwk_to_public_key,
    public_key_to_jwk,
)

__all__ = [
    "ACCEPTED_ALGS",
    "COMPACT_JWS",
    "JwtParts",
    "PrivateKey",
    "PublicKey",
    "check_claims",
    "check_header",
    "check_lifetime",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "jwk_to_public_key",
    "numeric_date",
    "public_key_to_jwk",
    "verify_jws",
]

Json = Mapping[str, Any]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

ACCEPTED_ALGS = frozenset({"EdDSA", "ES256", "RS256"})
_KEY_TYPES = {"EdDSA": "OKP", "ES256": "EC", "RS256": "RSA"}
#: the only JOSE header parameters OB 3.0 allows
ALLOWED_HEADERS = frozenset({"alg", "kid", "jwk", "typ"})
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
MAX_TOKEN_CHARS = 1024 * 1024
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
#: a compact JWS: three non-empty base64url segments
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class _OpenBadgesRegistry(JWSRegistry):
    """joserfc's JWS registry, limited to OB 3.0's algorithms and sized for credentials.

    RFC 9864 deprecates the polymorphic ``EdDSA`` name (joserfc warns on it), but OB 3.0 names it
    for Ed25519, so it is accepted here without the warning; nothing outside ``ACCEPTED_ALGS`` is.
    """

    max_header_length = 16 * 1024
    max_payload_length = MAX_TOKEN_CHARS
    max_signature_length = 1024

    def get_alg(self, name: str) -> Any:
        if name not in ACCEPTED_ALGS or name not in self.algorithms:
            raise ProofError(f"JWS alg {name!r:.20} is not accepted (EdDSA, ES256 or RS256 only)")
        return self.algorithms[name]


#: read-only after construction, so shared by every thread
REGISTRY = _OpenBadgesRegistry(algorithms=sorted(ACCEPTED_ALGS))


@dataclass(frozen=True)
class JwtParts:
    """A decoded compact JWS and the credential it carries (not yet verified)."""

    token: str
    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes
    #: the payload minus the registered claims, or the ``vc`` claim (VCDM 1.1 style)
    credential: Mapping[str, Any]
    vc_claim: bool


def numeric_date(value: object) -> int:
    """An XSD dateTimeStamp (offset required) as a JWT NumericDate, truncated to the second."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"{value!r:.60} is not a date-time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r:.60} has no time zone")
    return math.floor(moment.timestamp())


def encode_vc_jwt(
    credential: Mapping[str, Any],
    *,
    private_key: PrivateKey,
    kid: str | None = None,
    jwk: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``credential`` (VCDM 2.0) as a VC-JWT; the header carries ``kid`` and/or ``jwk``."""
    alg = _alg_for(private_key)
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    if jwk is not None:
        if not _same_key(jwk_to_public_key(jwk), private_key.public_key()):
            raise InvalidKey("the header jwk is not the public key of the signing key")
        header["jwk"] = dict(jwk)
    if kid is None and jwk is None:
        raise ProofError("a VC-JWT header needs a kid or a jwk")
    payload = dict(credential)
    payload["iss"] = _required_str(_issuer_id(credential), "/issuer/id")
    payload["jti"] = _required_str(credential.get("id"), "/id")
    payload["nbf"] = _date_claim(credential.get("validFrom"), "/validFrom")
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        payload["sub"] = subject["id"]
    if credential.get("validUntil") is not None:
        payload["exp"] = _date_claim(credential["validUntil"], "/validUntil")
    try:
        key = _jose_private_key(private_key)
        return jws.serialize_compact(header, _json(payload), key, registry=REGISTRY)
    except JoseError as exc:
        raise ProofError(f"the VC-JWT could not be signed: {exc}") from None


def decode_vc_jwt(token: str, *, max_chars: int = MAX_TOKEN_CHARS) -> JwtParts:
    """Split and decode a compact JWS (surrounding white space ignored). Verifies nothing."""
    if not isinstance(token, str):
        raise ParseError("a VC-JWT must be text")
    token = token.strip()
    if len(token) > max_chars:
        raise PayloadTooLarge(f"the VC-JWT is longer than {max_chars} characters")
    segments = token.split(".")
    if len(segments) == 5:
        raise ParseError("a JWE (five segments) is not supported; expected a compact JWS")
    if len(segments) != 3 or not COMPACT_JWS.fullmatch(token):
        raise ParseError("a VC-JWT must be a compact JWS: three base64url segments joined by '.'")
    header = _json_object(b64url_decode(segments[0], "the JWS header"), "the JWS header")
    payload = _json_object(b64url_decode(segments[1], "the JWS payload"), "the JWS payload")
    signature = b64url_decode(segments[2], "the JWS signature")
    if "vc" in payload:
        if not isinstance(payload["vc"], dict):
            raise ParseError("the VC-JWT 'vc' claim is not a JSON object", pointer="/vc")
        credential: dict[str, Any] = payload["vc"]
    else:
        credential = {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    return JwtParts(token, header, payload, signing_input, signature, credential, "vc" in payload)


def verify_jws(parts: JwtParts, key: Mapping[str, Any] | PublicKey) -> None:
    """Raise ProofError (alg refused, key unfit) or SignatureInvalid unless the JWS verifies."""
    alg = parts.header.get("alg")
    if not isinstance(alg, str) or alg not in ACCEPTED_ALGS:
        raise ProofError(f"JWS alg {alg!r:.20} is not accepted (EdDSA, ES256 or RS256 only)")
    if "crit" in parts.header:
        raise ProofError("JWS 'crit' header parameters are not supported")
    if isinstance(key, Mapping):
        if key.get("alg") not in (None, alg):
            raise ProofError(f"the key is for alg {key.get('alg')!r:.20}, the JWS uses {alg}")
        jose_key = import_public_jwk(key)
    else:
        if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
            raise ProofError(f"ES256 needs a P-256 key, not {key.curve.name}")
        jose_key = import_public_jwk(public_key_to_jwk(key))
    if jose_key.key_type != _KEY_TYPES[alg]:
        raise ProofError(f"the key type does not fit JWS alg {alg}")
    if alg == "ES256" and len(parts.signature) != 64:
        raise SignatureInvalid("an ES256 signature must be 64 bytes (r‖s)")
    try:
        jws.deserialize_compact(parts.token, jose_key, algorithms=[alg], registry=REGISTRY)
    except BadSignatureError:
        raise SignatureInvalid("the VC-JWT signature does not verify") from None
    except JoseError as exc:
        raise ProofError(f"the VC-JWT could not be checked ({exc})") from None


def check_header(header: Mapping[str, Any]) -> list[str]:
    """Messages for each way the JOSE header departs from OB 3.0's header table."""
    problems: list[str] = []
    extra = sorted(set(header) - ALLOWED_HEADERS)
    if extra:
        problems.append(f"JOSE header parameters not allowed by OB 3.0: {', '.join(extra)}")
    if "typ" in header and header["typ"] != "JWT":
        problems.append(f"the JOSE header typ is {header['typ']!r:.40}, not 'JWT'")
    if not isinstance(header.get("kid"), str) and not isinstance(header.get("jwk"), Mapping):
        problems.append("the JOSE header has neither a kid nor a jwk")
    jwk = header.get("jwk")
    if isinstance(jwk, Mapping) and PRIVATE_JWK_MEMBERS & set(jwk):
        problems.append("the JOSE header jwk contains private key members")
    return problems


def check_claims(payload: Mapping[str, Any], credential: Mapping[str, Any]) -> list[str]:
    """Messages for each JWT claim that disagrees with the credential it carries."""
    problems: list[str] = []
    _compare(problems, payload, "iss", _issuer_id(credential), "issuer.id")
    _compare(problems, payload, "jti", credential.get("id"), "id")
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    if subject_id is not None or "sub" in payload:
        _compare(problems, payload, "sub", subject_id, "credentialSubject.id")
    v1 = "validFrom" not in credential and "issuanceDate" in credential
    start, end = ("issuanceDate", "expirationDate") if v1 else ("validFrom", "validUntil")
    _compare_date(problems, payload, "nbf", credential.get(start), start)
    if credential.get(end) is not None:
        _compare_date(problems, payload, "exp", credential[end], end)
    contexts = credential.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if "vc" in payload and first == VC_V2_CONTEXT:
        problems.append("a 'vc' claim carries a VCDM 2.0 credential (@context[0] is v2)")
    if "vc" not in payload and first == VC_V1_CONTEXT:
        problems.append("a VCDM 1.1 credential (@context[0] is v1) outside a 'vc' claim")
    return problems


def check_lifetime(payload: Mapping[str, Any], now: datetime, skew: timedelta) -> list[str]:
    """Messages when the token's ``exp`` has passed or its ``nbf`` is still ahead (± ``skew``)."""
    problems: list[str] = []
    for claim in ("exp", "nbf"):
        value = payload.get(claim)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"the {claim} claim {value!r:.40} is not a NumericDate")
            continue
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            problems.append(f"the {claim} claim {value!r:.40} is out of range")
            continue
        if claim == "exp" and moment < now - skew:
            problems.append(f"the VC-JWT expired at {moment.isoformat()} (exp)")
        if claim == "nbf" and moment > now + skew:
            problems.append(f"the VC-JWT is not valid before {moment.isoformat()} (nbf)")
    return problems


def _compare(problems: list[str], payload: Json, claim: str, want: Any, name: str) -> None:
    if claim not in payload:
        problems.append(f"the {claim} claim is missing (expected {name} {want!r:.80})")
    elif payload[claim] != want:
        problems.append(f"{claim} {payload[claim]!r:.80} does not equal {name} {want!r:.80}")


def _compare_date(problems: list[str], payload: Json, claim: str, value: Any, name: str) -> None:
    try:
        want = numeric_date(value)
    except ValueError:
        problems.append(f"{name} {value!r:.60} is not a date-time with a time zone")
        return
    got = payload.get(claim)
    if got is None:
        problems.append(f"the {claim} claim is missing (expected {name} = {want})")
    elif isinstance(got, bool) or not isinstance(got, int | float) or not math.isfinite(got):
        problems.append(f"the {claim} claim {got!r:.40} is not a NumericDate")
    elif math.floor(got) != want:
        problems.append(f"{claim} {got} does not equal {name} {value} ({want})")


def _issuer_id(credential: Mapping[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def _required_str(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationFailed(f"a VC-JWT needs {pointer} as a non-empty string", pointer=pointer)
    return value


def _date_claim(value: Any, pointer: str) -> int:
    try:
        return numeric_date(value)
    except ValueError as exc:
        raise ValidationFailed(f"{pointer}: {exc}", pointer=pointer) from exc


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    value = loads_bounded(data, what=what)
    if not isinstance(value, dict):
        raise ParseError(f"{what} is not a JSON object")
    return value


def _alg_for(key: PrivateKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= MIN_RSA_BITS:
        return "RS256"
    raise InvalidKey("signing needs an Ed25519, P-256 or RSA (≥ 2048 bits) private key")


def _jose_private_key(key: PrivateKey) -> JoseKey:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return OKPKey.import_key(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ECKey.import_key(key)
    return RSAKey.import_key(key)


def _same_key(a: PublicKey, b: PublicKey) -> bool:
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return a.public_bytes(*spki) == b.public_bytes(*spki)
