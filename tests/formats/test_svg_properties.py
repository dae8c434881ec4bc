"""Baked SVG properties: any JSON object or JWS round-trips, and a real XML parser reads the same."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.formats.svg import OB3_NAMESPACE, bake_svg, unbake_svg
from tests.formats.test_svg import PLAIN, TOOL_JSON, TOOL_JWT

# characters XML 1.0 allows (json.dumps escapes the C0 controls itself), plus CDATA's terminator
xml_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\ufffe\uffff"), max_size=30
) | st.sampled_from(["]]>", "a]]>b]]]]>", "<![CDATA[x]]>", "</svg>", "&amp; &#0;"])
json_objects = st.dictionaries(
    xml_text,
    st.recursive(
        st.none() | st.booleans() | st.integers() | xml_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(xml_text, inner, max_size=3),
        max_leaves=10,
    ),
    max_size=5,
)
b64url = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1)
jws = st.tuples(b64url, b64url, b64url).map(".".join)
payloads = json_objects.map(lambda o: json.dumps(o, ensure_ascii=False)) | jws
images = st.sampled_from(
    [
        PLAIN,
        '<svg xmlns="http://www.w3.org/2000/svg"/>',
        TOOL_JWT,
        TOOL_JSON,
        '<svg xmlns:openbadges="https://w3id.org/openbadges"><g><circle r="1"/></g></svg>',
    ]
)


def credential_text(svg: str) -> Any:
    """What a real XML parser finds in the one baked element (our own, trusted output)."""
    (element,) = ET.fromstring(svg.encode()).iter(f"{{{OB3_NAMESPACE}}}credential")
    return element.get("verify") or element.text


@given(images, payloads, st.sampled_from(["", " ", "\n  "]))
def test_unbake_returns_what_was_baked_and_xml_agrees(svg: str, payload: str, pad: str) -> None:
    baked = bake_svg(svg, pad + payload + pad)
    assert unbake_svg(baked) == payload
    assert unbake_svg(baked.encode("utf-8")) == payload
    assert credential_text(baked) == payload


@given(images, payloads, payloads)
def test_rebaking_leaves_one_credential_the_last(svg: str, first: str, second: str) -> None:
    twice = bake_svg(bake_svg(svg, first), second)
    assert unbake_svg(twice) == second
    assert credential_text(twice) == second
    # one declaration, on the root start tag, which comes before the baked element
    assert twice[: twice.index("<openbadges:credential")].count("xmlns:openbadges") == 1
