"""RFC 8785 JSON Canonicalization Scheme (JCS), used by eddsa-jcs-2022.

Objects have their members sorted by the UTF-16 code units of the names, no insignificant white space,
strings use the minimal JSON escapes, and numbers are written as ECMAScript's ``Number.toString`` would.

Most documents (ASCII member names, no floats) are written by the standard library's C encoder with
sorted keys, which gives exactly those bytes; any other document goes through the general writer.
``tests/crypto/test_jcs_properties.py`` holds both to the independent ``rfc8785`` package.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from badge_issuer.errors import ParseError

# The standard library's string encoder (C-accelerated) escapes exactly what RFC 8785 §3.2.2.2 asks:
# '"' and '\\', \b \t \n \f \r by their short forms, every other C0 control as \u00xx (lower-case
# hex), and nothing else (JSON.stringify's rules for well-formed strings).
_string = encode_basestring
#: integers below this magnitude are exact doubles, written by ``str`` as ECMAScript writes them
_EXACT = 2**53


#: containers a document may hold for the fast path (past that, the general writer decides)
_PLAIN_CONTAINERS = 100_000


def canonicalize(value: Any) -> bytes:
    """The JCS serialization of ``value`` as UTF-8 bytes."""
    if _plain(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` with sorted keys writes ``value`` exactly as JCS does: dicts with ASCII
    member names (sorted by code point = by UTF-16 code unit), lists, strings (the same escapes, see
    ``_string``), booleans, null, and integers that are exact doubles (written alike); no floats,
    whose ``repr`` is not ECMAScript's."""
    if type(value) is str or type(value) is bool or value is None:
        return True
    if type(value) is int:
        return -_EXACT < value < _EXACT
    stack = [value]
    containers = 0
    while stack:  # containers only: their scalar members are judged in place
        item = stack.pop()
        containers += 1
        if containers > _PLAIN_CONTAINERS:
            return False
        if type(item) is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            members: Iterable[Any] = item.values()
        elif type(item) is list:
            members = item
        else:
            return False
        for member in members:
            kind = type(member)
            if kind is str or kind is bool or member is None:
                continue
            if kind is dict or kind is list:
                stack.append(member)
            elif kind is not int or not -_EXACT < member < _EXACT:
                return False
    return True


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif value is None:
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
        for index, key in enumerate(_sorted_names(value)):
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


def _sorted_names(value: Mapping[Any, Any]) -> list[str]:
    """Member names by UTF-16 code units (for ASCII names that is the order of ``sorted``)."""
    names = list(value)
    if all(type(name) is str and name.isascii() for name in names):
        names.sort()
        return names
    return sorted(names, key=_utf16_key)


def _utf16_key(name: Any) -> bytes:
    if not isinstance(name, str):
        raise ParseError("JCS: object member names must be strings")
    return name.encode("utf-16-be", "surrogatepass")


def _number(value: float) -> str:
    """ECMAScript Number::toString for an IEEE 754 double (RFC 8785 §3.2.2.3)."""
    if isinstance(value, int):
        if abs(value) < _EXACT:
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
