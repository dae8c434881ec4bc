"""RFC 8785 JCS: key order by UTF-16 code units, minimal escapes, ECMAScript numbers."""

from __future__ import annotations

import pytest

from badge_issuer.crypto.jcs import canonicalize
from badge_issuer.errors import ParseError


def test_rfc8785_sorting_example() -> None:
    # RFC 8785 §3.2.3: property names sorted by UTF-16 code units, not by code points
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonicalize(value).decode("utf-8") == expected


def test_rfc8785_primitive_example() -> None:
    # RFC 8785 §3.2.2 example input, parsed as JSON would be
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(value).decode("utf-8") == expected


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1, "1"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (2**53, "9007199254740992"),
        (2**60, "1152921504606847000"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_numbers_serialize_like_ecmascript(number: float, text: str) -> None:
    assert canonicalize(number).decode() == text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "x"}, b"bytes", {"a": object()}])
def test_values_json_cannot_carry_are_refused(bad: object) -> None:
    with pytest.raises(ParseError):
        canonicalize(bad)
