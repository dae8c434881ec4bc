"""Sniffing presented badges: JSON, JWT, presentations, baked images, and JSON bounds."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.bounded_json import JsonLimits, loads_bounded
from badge_issuer.formats.png import PNG_SIGNATURE, bake_png, make_chunk
from badge_issuer.formats.sniff import Presented, unwrap
from badge_issuer.formats.svg import bake_svg
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.jsonld.loader import VC_V2

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.com/issuers/1", "type": ["Profile"]},
    "validFrom": "2024-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:alice", "type": ["AchievementSubject"]},
}
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'


@pytest.fixture(scope="module")
def jwt() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return encode_vc_jwt(CREDENTIAL, private_key=key, kid="https://example.com/issuers/1#k")


def png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + make_chunk(b"IHDR", ihdr)
        + make_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + make_chunk(b"IEND", b"")
    )


def only(presented: Presented) -> dict[str, Any]:
    (credential,) = presented.credentials
    return dict(credential.document)


def test_json_credential() -> None:
    presented = unwrap(json.dumps(CREDENTIAL).encode(), "application/vc+ld+json")
    assert presented.kind == "json" and presented.presentation is None
    assert only(presented) == CREDENTIAL
    assert presented.credentials[0].jwt is None


def test_json_with_bom_and_white_space() -> None:
    data = b"\xef\xbb\xbf \n" + json.dumps(CREDENTIAL).encode() + b"\n"
    assert only(unwrap(data, None)) == CREDENTIAL


def test_compact_jws(jwt: str) -> None:
    presented = unwrap(f"{jwt}\n".encode(), "text/plain")
    assert presented.kind == "jwt"
    assert only(presented) == CREDENTIAL
    parts = presented.credentials[0].jwt
    assert parts is not None and parts.token == jwt and parts.header["alg"] == "EdDSA"


def test_jwt_wrapped_in_json(jwt: str) -> None:
    presented = unwrap(json.dumps({"jwt": jwt}).encode(), "application/json")
    assert presented.kind == "jwt" and only(presented) == CREDENTIAL


def test_presentation_with_mixed_items(jwt: str) -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [
            CREDENTIAL,
            jwt,
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{jwt}",
            },
        ],
    }
    presented = unwrap(json.dumps(presentation).encode(), "application/vp+ld+json")
    assert presented.kind == "presentation" and presented.presentation == presentation
    assert [c.document for c in presented.credentials] == [CREDENTIAL] * 3
    assert [c.jwt is not None for c in presented.credentials] == [False, True, True]


def test_presentation_with_a_single_object() -> None:
    presentation = {"type": "VerifiablePresentation", "verifiableCredential": CREDENTIAL}
    assert only(unwrap(json.dumps(presentation).encode(), None)) == CREDENTIAL


@pytest.mark.parametrize(
    ("items", "pointer"),
    [
        ([42], "/verifiableCredential/0"),
        ([CREDENTIAL, "not a jws"], "/verifiableCredential/1"),
        (
            [{"type": "EnvelopedVerifiableCredential", "id": "https://x"}],
            "/verifiableCredential/0/id",
        ),
        ([{"type": ["VerifiablePresentation"]}], "/verifiableCredential/0"),
    ],
)
def test_bad_presentation_items(items: list[Any], pointer: str) -> None:
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": items}
    with pytest.raises(ParseError) as caught:
        unwrap(json.dumps(presentation).encode(), None)
    assert caught.value.pointer == pointer


@pytest.mark.parametrize("members", [{}, {"verifiableCredential": []}])
def test_a_presentation_without_credentials_is_authentication_only(members: dict[str, Any]) -> None:
    presentation = {"type": ["VerifiablePresentation"], "holder": "did:example:ada", **members}
    presented = unwrap(json.dumps(presentation).encode(), None)
    assert presented.kind == "presentation" and presented.credentials == ()


def test_too_many_presentation_items() -> None:
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": [{}] * 101}
    with pytest.raises(PayloadTooLarge):
        unwrap(json.dumps(presentation).encode(), None)


@pytest.mark.parametrize("form", ["json", "jwt"])
def test_baked_png(jwt: str, form: str) -> None:
    payload = jwt if form == "jwt" else json.dumps(CREDENTIAL)
    presented = unwrap(bake_png(png(), payload), "image/png")
    assert presented.kind == "png" and presented.baked == form
    assert only(presented) == CREDENTIAL
    assert (presented.credentials[0].jwt is not None) == (form == "jwt")


@pytest.mark.parametrize("form", ["json", "jwt"])
def test_baked_svg(jwt: str, form: str) -> None:
    payload = jwt if form == "jwt" else json.dumps(CREDENTIAL, indent=2)
    baked = bake_svg(SVG, payload).encode()
    for content_type in ("image/svg+xml", None, "application/octet-stream"):
        presented = unwrap(baked, content_type)
        assert presented.kind == "svg" and presented.baked == form
        assert only(presented) == CREDENTIAL


def test_baked_image_must_not_hold_a_presentation() -> None:
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": [CREDENTIAL]}
    with pytest.raises(ParseError, match="presentation"):
        unwrap(bake_png(png(), json.dumps(presentation)), None)


def test_a_vp_jwt_is_unwrapped_as_a_presentation_but_not_nested() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    presentation = CREDENTIAL | {"type": ["VerifiablePresentation"], "verifiableCredential": [CREDENTIAL]}
    token = encode_vc_jwt(presentation, private_key=key, kid="k")
    presented = unwrap(token.encode(), None)
    assert presented.kind == "presentation" and presented.presentation_jwt is not None
    assert presented.credentials[0].document == CREDENTIAL
    outer = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": [token]}
    with pytest.raises(ParseError, match="presentation inside a presentation"):
        unwrap(json.dumps(outer).encode(), None)


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"hello", None, "not a credential"),
        (b"[1, 2]", None, "not a credential"),
        (b"{not json}", None, "not valid JSON"),
        (b"\xff\xfe\x00garbage", None, "SVG"),
        (b"\x80\x81", None, "not UTF-8"),
        (b"{}", "image/png", "not a PNG"),
        (b"a.b.c", None, "base64url|JSON"),
    ],
)
def test_unrecognised_input(data: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        unwrap(data, content_type)


def test_size_bound() -> None:
    with pytest.raises(PayloadTooLarge):
        unwrap(b"{" + b" " * 100 + b"}", None, max_bytes=50)


def test_deep_nesting_is_refused_before_parsing() -> None:
    for deep in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        # the depth scan refuses it; the JSON parser (which would recurse) never sees it
        with pytest.raises(PayloadTooLarge, match="nested deeper than 64"):
            unwrap(b'{"x":' + deep + b"}", None)


def test_recursion_error_from_the_parser_becomes_payload_too_large() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(PayloadTooLarge, match="too deeply"):
        loads_bounded(deep, limits=JsonLimits(max_depth=10**9))


def test_limits_are_configurable() -> None:
    body = json.dumps(CREDENTIAL).encode()
    with pytest.raises(PayloadTooLarge, match="nested"):
        unwrap(body, None, limits=JsonLimits(max_depth=2))
    with pytest.raises(PayloadTooLarge, match="values"):
        unwrap(body, None, limits=JsonLimits(max_values=5))
    with pytest.raises(PayloadTooLarge, match="array"):
        unwrap(body, None, limits=JsonLimits(max_array_items=1))


# bounded JSON on its own


def test_depth_counts_only_brackets_outside_strings() -> None:
    tricky = {"a": "[[[[[[[[[[", "b": '\\"[[[[[[[[[[', "c": "\\\\", "d": [[["x"]]]}
    assert loads_bounded(json.dumps(tricky), limits=JsonLimits(max_depth=4)) == tricky
    with pytest.raises(PayloadTooLarge):
        loads_bounded(json.dumps(tricky), limits=JsonLimits(max_depth=3))


def test_exactly_at_the_limits() -> None:
    limits = JsonLimits(max_depth=64, max_array_items=10_000)
    assert loads_bounded("[" * 64 + "]" * 64, limits=limits) is not None
    with pytest.raises(PayloadTooLarge):
        loads_bounded("[" * 65 + "]" * 65, limits=limits)
    assert len(loads_bounded(json.dumps([0] * 10_000), limits=limits)) == 10_000
    with pytest.raises(PayloadTooLarge):
        loads_bounded(json.dumps([0] * 10_001), limits=limits)


def test_total_value_count() -> None:
    wide = json.dumps([[0] * 5000] * 50)  # 250,051 values, each array within bounds
    with pytest.raises(PayloadTooLarge, match="values"):
        loads_bounded(wide)


@pytest.mark.parametrize(
    "text", ['{"a": 1, "a": 2}', "[NaN]", "[Infinity]", "[-Infinity]", "1" * 5000, "{", ""]
)
def test_refused_json(text: str) -> None:
    with pytest.raises(ParseError):
        loads_bounded(text)


def test_bytes_must_be_utf8() -> None:
    assert loads_bounded(b'{"a": "\xc3\xa9"}') == {"a": "é"}
    with pytest.raises(ParseError, match="UTF-8"):
        loads_bounded(b'{"a": "\xe9"}')
