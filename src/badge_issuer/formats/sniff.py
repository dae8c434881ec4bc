"""Recognise what was presented for verification and take the credentials out of it.

Accepted: a credential as JSON; ``{"jwt": "<compact JWS>"}``; a compact JWS (VC-JWT) as text; a
Verifiable Presentation — as JSON, or as a VP-JWT (the holder's compact JWS with a ``vp`` claim, or
whose payload is the presentation) — whose ``verifiableCredential`` items are objects, compact JWS
strings or ``EnvelopedVerifiableCredential`` data: URLs (none at all: an authentication-only
presentation);
a baked PNG or SVG holding JSON, a JWT or (OB 2.0 hosted badges) the URL of the assertion. Open
Badges 2.0 Assertions come out as credentials like any other JSON or JWS (``verification.py``
routes them to ``ob2``). Nothing is verified here. JSON is parsed with bounds (see
``bounded_json``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.bounded_json import DEFAULT_LIMITS, JsonLimits, loads_bounded
from badge_issuer.formats.png import PNG_SIGNATURE, unbake_png
from badge_issuer.formats.svg import unbake_svg
from badge_issuer.formats.vcjwt import COMPACT_JWS, JwtParts, decode_vc_jwt

Kind = Literal["json", "jwt", "png", "svg", "presentation"]
MAX_PRESENTED_BYTES = 16 * 1024 * 1024
MAX_PRESENTED_CREDENTIALS = 100
#: JWT claims of a VP-JWT that belong to the token, not to the presentation
VP_JWT_CLAIMS = frozenset({"nonce"})
ENVELOPED_PREFIXES = ("data:application/vc+jwt,", "data:application/jwt,")
#: an http(s) URL baked into an image instead of a credential (OB 2.0 hosted assertions)
BAKED_URL = re.compile(r"https?://[^\s<>\"]{1,2040}", re.IGNORECASE)


@dataclass(frozen=True)
class PresentedCredential:
    """One credential: its JSON and, when it came as a VC-JWT, the decoded (unverified) JWS."""

    document: Mapping[str, Any]
    jwt: JwtParts | None = None


@dataclass(frozen=True)
class Presented:
    """What was presented and the credentials found in it, in order."""

    kind: Kind
    credentials: tuple[PresentedCredential, ...]
    #: the presentation object (its own proof is checked by ``checks.presentation``), for kind "presentation"
    presentation: Mapping[str, Any] | None = None
    #: for kind "png"/"svg": whether the baked text was "json", "jwt" or (OB 2.0 hosted) a "url"
    baked: Literal["json", "jwt", "url"] | None = None
    #: the URL baked into an image (OB 2.0 hosted assertion); ``credentials`` is then empty
    url: str | None = None
    #: for a presentation that came as a VP-JWT: the decoded (unverified) JWS around it
    presentation_jwt: JwtParts | None = None


def unwrap(
    data: bytes,
    content_type: str | None = None,
    *,
    max_bytes: int = MAX_PRESENTED_BYTES,
    limits: JsonLimits = DEFAULT_LIMITS,
) -> Presented:
    """Sniff ``data`` (the declared ``content_type`` only disambiguates images); ParseError if
    it is none of the accepted forms, PayloadTooLarge past ``max_bytes`` or the JSON limits."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the presented badge is larger than {max_bytes} bytes")
    media = (content_type or "").partition(";")[0].strip().lower()
    if data.startswith(PNG_SIGNATURE):
        return _baked("png", unbake_png(data, max_chunk=max_bytes), limits)
    if media == "image/png":
        raise ParseError("the body is declared image/png but is not a PNG")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if media == "image/svg+xml" or head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        return _baked("svg", unbake_svg(data, max_bytes=max_bytes), limits)
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise ParseError("the presented badge is not UTF-8 text, a PNG or an SVG") from exc
    return _from_text(text, limits, allow_presentation=True)


def _baked(kind: Kind, text: str, limits: JsonLimits) -> Presented:
    if BAKED_URL.fullmatch(text.strip()):  # OB 2.0: the URL of a hosted assertion
        return Presented(kind, (), baked="url", url=text.strip())
    inner = _from_text(text.strip(), limits, allow_presentation=False)
    baked: Literal["json", "jwt"] = "jwt" if inner.kind == "jwt" else "json"
    return Presented(kind, inner.credentials, baked=baked)


def _from_text(text: str, limits: JsonLimits, *, allow_presentation: bool) -> Presented:
    if COMPACT_JWS.fullmatch(text):
        return _from_token(text, allow_presentation=allow_presentation)
    if not text.startswith("{"):
        raise ParseError("not a credential: expected JSON, a compact JWS, or a baked PNG or SVG")
    value = loads_bounded(text, what="the credential JSON", limits=limits)
    if not isinstance(value, dict):
        raise ParseError("the credential JSON is not an object")
    if isinstance(value.get("jwt"), str) and "@context" not in value and "type" not in value:
        return _from_token(value["jwt"], allow_presentation=allow_presentation, pointer="/jwt")
    if "VerifiablePresentation" not in _types(value):
        return Presented("json", (PresentedCredential(value),))
    if not allow_presentation:
        raise ParseError("a baked image must hold a credential, not a presentation")
    return Presented("presentation", _presented_items(value), presentation=value)


def _presented_items(presentation: Mapping[str, Any]) -> tuple[PresentedCredential, ...]:
    items = presentation.get("verifiableCredential", [])
    items = items if isinstance(items, list) else [items]
    if len(items) > MAX_PRESENTED_CREDENTIALS:
        raise PayloadTooLarge(f"a presentation may hold at most {MAX_PRESENTED_CREDENTIALS}")
    found = []
    for index, item in enumerate(items):
        pointer = f"/verifiableCredential/{index}"
        if isinstance(item, str):
            found.append(_from_jwt(item, pointer=pointer))
        elif isinstance(item, dict) and "EnvelopedVerifiableCredential" in _types(item):
            url = item.get("id")
            prefix = next((p for p in ENVELOPED_PREFIXES if str(url).startswith(p)), None)
            if not isinstance(url, str) or prefix is None:
                raise ParseError(
                    "an enveloped credential must be a data:application/vc+jwt URL",
                    pointer=f"{pointer}/id",
                )
            found.append(_from_jwt(url[len(prefix) :], pointer=f"{pointer}/id"))
        elif isinstance(item, dict) and "VerifiablePresentation" not in _types(item):
            found.append(PresentedCredential(item))
        else:
            raise ParseError("not a credential object or compact JWS", pointer=pointer)
    return tuple(found)


def _from_token(token: str, *, allow_presentation: bool, pointer: str | None = None) -> Presented:
    """A VC-JWT, or (where a presentation may stand) a VP-JWT: the ``vp`` claim (VC-JWT 1.1 style)
    or a payload that is itself a VerifiablePresentation (VCDM 2.0 style)."""
    if not COMPACT_JWS.fullmatch(token.strip()):
        raise ParseError("not a compact JWS", pointer=pointer)
    parts = decode_vc_jwt(token)
    if not _is_presentation(parts):
        return Presented("jwt", (PresentedCredential(parts.credential, parts),))
    if not allow_presentation:
        raise ParseError("a baked image must hold a credential, not a presentation", pointer=pointer)
    presentation = parts.payload.get("vp", parts.credential)
    if not isinstance(presentation, dict) or "VerifiablePresentation" not in _types(presentation):
        raise ParseError("the VP-JWT 'vp' claim is not a VerifiablePresentation", pointer=pointer)
    if "vp" not in parts.payload:  # the payload is the presentation; JWT-only claims are not part of it
        presentation = {k: v for k, v in presentation.items() if k not in VP_JWT_CLAIMS}
    return Presented(
        "presentation", _presented_items(presentation), presentation=presentation, presentation_jwt=parts
    )


def _is_presentation(parts: JwtParts) -> bool:
    return "vp" in parts.payload or "VerifiablePresentation" in _types(parts.credential)


def _from_jwt(token: str, *, pointer: str | None = None) -> PresentedCredential:
    if not COMPACT_JWS.fullmatch(token.strip()):
        raise ParseError("not a compact JWS", pointer=pointer)
    parts = decode_vc_jwt(token)
    if _is_presentation(parts):
        raise ParseError("a presentation inside a presentation is not accepted", pointer=pointer)
    return PresentedCredential(parts.credential, parts)


def _types(value: Mapping[str, Any]) -> list[str]:
    kinds = value.get("type")
    if isinstance(kinds, str):
        return [kinds]
    return [kind for kind in kinds if isinstance(kind, str)] if isinstance(kinds, list) else []
