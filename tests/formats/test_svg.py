"""Baked SVG: bake/unbake, re-baking, namespaces, legacy assertions and hostile input."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.svg import OB3_NAMESPACE, bake_svg, unbake_svg

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuZWR1In0.c2lnbmF0dXJlLXJzYQ"
JSON = '{"id": "urn:uuid:7", "name": "Été <badge> & \\"more\\""}'
PLAIN = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-note="a>b">'
    '<circle cx="5" cy="5" r="4"/></svg>'
)
# Shaped like the baked fixtures that OB 3.0 validators test with: an XML declaration, a DOCTYPE
# naming the external SVG 1.1 DTD, the element indented on its own line with an explicit end tag.
PROLOGUE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
)
TOOL_JWT = (
    PROLOGUE + '<svg version="1.1" xmlns="http://www.w3.org/2000/svg" '
    'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" viewBox="0 0 100 100">\n'
    f'    <openbadges:credential verify="{JWT}"></openbadges:credential>\n'
    '    <g><path d="M50,92.8c0,0,0,4.1,24.5,4.1" /></g>\n</svg>'
)
TOOL_JSON = (
    PROLOGUE + '<svg version="1.1" xmlns="http://www.w3.org/2000/svg" '
    'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" viewBox="0 0 100 100">\n'
    "  <openbadges:credential>\n    <![CDATA[\n      {\n"
    '        "id": "http://example.edu/credentials/3732"\n      }\n    ]]>\n'
    '  </openbadges:credential>\n  <g><circle r="4" /></g>\n</svg>'
)


def credential_elements(svg: str) -> list[ET.Element]:
    """Parse our own (trusted) output with a real XML parser."""
    root = ET.fromstring(svg.encode())
    return list(root.iter(f"{{{OB3_NAMESPACE}}}credential"))


@pytest.mark.parametrize("payload", [JWT, JSON])
def test_bake_then_unbake(payload: str) -> None:
    baked = bake_svg(PLAIN, payload)
    assert unbake_svg(baked) == payload
    assert unbake_svg(baked.encode()) == payload
    assert len(credential_elements(baked)) == 1


def test_jwt_goes_in_a_verify_attribute_right_after_the_svg_tag() -> None:
    baked = bake_svg(PLAIN, JWT)
    assert baked.startswith(
        '<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        'xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-note="a>b">'
        f'<openbadges:credential verify="{JWT}"/><circle'
    )
    (element,) = credential_elements(baked)
    assert element.get("verify") == JWT and not element.text and not list(element)


def test_json_goes_in_cdata() -> None:
    baked = bake_svg(PLAIN, JSON)
    assert f"<openbadges:credential><![CDATA[{JSON}]]></openbadges:credential>" in baked
    (element,) = credential_elements(baked)
    assert element.text == JSON and element.get("verify") is None


def test_cdata_terminator_inside_json_is_split() -> None:
    payload = '{"narrative": "a]]>b ]]> ]]]]>"}'
    baked = bake_svg(PLAIN, payload)
    assert unbake_svg(baked) == payload
    (element,) = credential_elements(baked)
    assert element.text == payload


def test_rebake_replaces_the_element() -> None:
    twice = bake_svg(bake_svg(PLAIN, JWT), JSON)
    assert unbake_svg(twice) == JSON
    assert twice.count("openbadges:credential") == 2  # one start tag, one end tag
    assert twice.count("xmlns:openbadges") == 1
    assert len(credential_elements(twice)) == 1


def test_tool_shaped_fixtures() -> None:
    assert unbake_svg(TOOL_JWT) == JWT
    expected = '{\n        "id": "http://example.edu/credentials/3732"\n      }'
    assert unbake_svg(TOOL_JSON) == expected
    rebaked = bake_svg(TOOL_JWT, JSON)
    assert rebaked.startswith(PROLOGUE)
    assert unbake_svg(rebaked) == JSON
    assert JWT not in rebaked and rebaked.count("xmlns:openbadges") == 1


def test_other_prefix_bound_to_the_ob3_namespace() -> None:
    svg = f'<svg xmlns:ob="{OB3_NAMESPACE}"><g/><ob:credential verify="{JWT}"/></svg>'
    assert unbake_svg(svg) == JWT
    rebaked = bake_svg(svg, JSON)
    assert "ob:credential" not in rebaked and unbake_svg(rebaked) == JSON


def test_default_namespace_credential_element() -> None:
    svg = f'<svg><credential xmlns="{OB3_NAMESPACE}" verify="{JWT}"/></svg>'
    assert unbake_svg(svg) == JWT


def test_unbound_credential_name_in_another_namespace_is_ignored() -> None:
    with pytest.raises(ParseError, match="no baked credential"):
        unbake_svg('<svg xmlns="http://www.w3.org/2000/svg"><credential verify="a.b.c"/></svg>')


def test_legacy_ob2_assertion_is_read_and_replaced() -> None:
    svg = (
        '<svg xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="https://example.org/assertions/1"></openbadges:assertion>'
        "</svg>"
    )
    assert unbake_svg(svg) == "https://example.org/assertions/1"
    baked = bake_svg(svg, JWT)
    assert "assertion" not in baked and "http://openbadges.org" not in baked
    assert unbake_svg(baked) == JWT and len(credential_elements(baked)) == 1


def test_credential_wins_over_an_earlier_assertion() -> None:
    svg = (
        f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:assertion verify="old"/>'
        f'<openbadges:credential verify="{JWT}"/></svg>'
    )
    assert unbake_svg(svg) == JWT


def test_markup_that_only_looks_like_a_credential_is_ignored() -> None:
    svg = (
        f'<svg xmlns:openbadges="{OB3_NAMESPACE}">'
        '<!-- <openbadges:credential verify="fake.fake.fake"/> -->'
        '<desc><![CDATA[<openbadges:credential verify="cdata.fake.x"/>]]></desc>'
        f'<openbadges:credential verify="{JWT}"/></svg>'
    )
    assert unbake_svg(svg) == JWT


def test_escaped_json_without_cdata() -> None:
    svg = (
        f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential>'
        "{&quot;a&quot;: &quot;&lt;&#233;&#x1F600;&gt;&quot;}</openbadges:credential></svg>"
    )
    assert unbake_svg(svg) == '{"a": "<é😀>"}'


@pytest.mark.parametrize("text", ["&nbsp;", "&xxe;", "a & b", "&#0;", "&#xFFFE;"])
def test_undefined_entities_and_invalid_references_are_refused(text: str) -> None:
    svg = f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential>{text}'
    with pytest.raises(ParseError):
        unbake_svg(svg + "</openbadges:credential></svg>")


def test_billion_laughs_is_refused_quickly() -> None:
    values = ["lol"] + [f"&lol{i - 1};" * 10 for i in range(1, 10)]
    entities = "".join(f'<!ENTITY lol{i} "{value}">' for i, value in enumerate(values))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential>&lol9;'
        "</openbadges:credential></svg>"
    )
    # refused on seeing the internal subset, before any entity is expanded
    with pytest.raises(ParseError, match="internal subset"):
        unbake_svg(bomb)
    with pytest.raises(ParseError):
        bake_svg(bomb, JWT)


def test_external_entity_is_refused() -> None:
    xxe = (
        '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential>&xxe;'
        "</openbadges:credential></svg>"
    )
    with pytest.raises(ParseError):
        unbake_svg(xxe)


def test_declarations_outside_a_doctype_are_refused() -> None:
    with pytest.raises(ParseError, match="ENTITY"):
        unbake_svg('<!ENTITY a "b"><svg/>')


@pytest.mark.parametrize(
    "svg",
    [
        "<html><body/></html>",
        "text first <svg/>",
        "",
        "<svg",
        '<svg a="1"><g></svg>',
        '<svg><g a="unterminated></g></svg>',
        "<svg><g></g>",
        "<svg></svg><svg></svg>",
        "<svg><!-- never closed </svg>",
        "<svg><g a=unquoted/></svg>",
        "<<<<<<<<",
    ],
)
def test_malformed_documents_are_refused(svg: str) -> None:
    with pytest.raises(ParseError):
        unbake_svg(svg)


def test_missing_or_empty_credential() -> None:
    with pytest.raises(ParseError, match="no baked credential"):
        unbake_svg(PLAIN)
    with pytest.raises(ParseError, match="empty"):
        unbake_svg(f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential/></svg>')
    with pytest.raises(ParseError, match="unexpected markup"):
        unbake_svg(
            f'<svg xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential><g/>'
            "</openbadges:credential></svg>"
        )


def test_size_bound() -> None:
    with pytest.raises(PayloadTooLarge):
        unbake_svg(PLAIN, max_bytes=20)


def test_pathological_tags_fail_fast() -> None:
    # CPU time of this thread, not wall time: on a loaded shared box the wall clock ran past 5 s
    started = time.thread_time()
    with pytest.raises(ParseError):
        unbake_svg("<svg " + 'a="b" ' * 200_000)
    with pytest.raises(ParseError, match="more than 256 deep"):
        unbake_svg("<svg>" + "<g>" * 200_000)  # refused at depth 256, not scanned to the end
    assert time.thread_time() - started < 5
    nested = "<svg>" + "<g>" * 255 + "</g>" * 255 + "</svg>"
    with pytest.raises(ParseError, match="no baked credential"):
        unbake_svg(nested)  # as deep as allowed: read to the end


def test_encodings() -> None:
    baked = bake_svg(PLAIN, JSON)
    assert unbake_svg(b"\xef\xbb\xbf" + baked.encode()) == JSON
    assert unbake_svg(baked.encode("utf-16")) == JSON
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?>' + baked
    assert unbake_svg(latin.encode("latin-1")) == JSON
    with pytest.raises(ParseError, match="utf-8"):
        unbake_svg(b"<svg>\xff</svg>")


def test_self_closing_root_is_opened() -> None:
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" />', JWT)
    assert baked.endswith(f'<openbadges:credential verify="{JWT}"/></svg>')
    assert unbake_svg(baked) == JWT and len(credential_elements(baked)) == 1


def test_payload_must_be_a_jws_or_json() -> None:
    with pytest.raises(ParseError, match="neither"):
        bake_svg(PLAIN, "just text")
