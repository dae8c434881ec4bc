"""RFC 8785 JSON Canonicalization Scheme (JCS), used by eddsa-jcs-2022.

Objects have their members sorted by the UTF-16 code units of the names, no insignificant white space,
strings use the minimal JSON escapes, and numbers are written as ECMAScript's ``Number.toString`` would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from badge_issuer.errors import ParseError

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def canonicalize(value: Any) -> bytes:
    """The JCS serialization of ``value`` as UTF-8 bytes."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise ParseError("JCS: object member names must be strings")
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise ParseError(f"JCS: cannot serialize a {type(value).__name__}")


def _utf16_key(name: Any) -> bytes:
    if not isinstance(name, str):
        raise ParseError("JCS: object member names must be strings")
    return name.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    chunks = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            chunks.append(escaped)
        elif char < " ":
            chunks.append(f"\\u{ord(char):04x}")
        else:
            chunks.append(char)
    chunks.append('"')
    return "".join(chunks)


def _number(value: float) -> str:
    """ECMAScript Number::toString for an IEEE 754 double (RFC 8785 §3.2.2.3)."""
    if isinstance(value, int):
        if abs(value) < 2**53:
            return str(value)
        value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ParseError("JCS: NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest round-tripping digits; split them into digits and exponent
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    leading_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    point = len(int_part) - leading_zeros + (int(exp_text) if exp_text else 0)
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent = n - 1
    exp_sign = "+" if exponent >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{exp_sign}{abs(exponent)}"
