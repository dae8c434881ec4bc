"""Multibase text encodings of bytes: base58btc (``z``) and base64url without padding (``u``)."""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Literal

from badge_issuer.errors import ParseError

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58)}
#: longest multibase text we decode (keys and signatures are far shorter; lists use base64url)
_MAX_B58 = 4096

Encoding = Literal["base58btc", "base64url"]


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 of ``data`` (leading zero bytes become ``1``s)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_B58[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Inverse of ``b58encode``; ParseError on a character outside the alphabet."""
    if len(text) > _MAX_B58:
        raise ParseError("base58btc value is too long")
    number = 0
    for char in text:
        try:
            number = number * 58 + _B58_INDEX[char]
        except KeyError:
            raise ParseError(f"{char!r} is not a base58btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding."""
    if "=" in text or any(char in text for char in "+/ \n\r\t"):
        raise ParseError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"not valid base64url: {exc}") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def multibase_encode(data: bytes, encoding: Encoding = "base58btc") -> str:
    """``z`` + base58btc, or ``u`` + unpadded base64url."""
    if encoding == "base58btc":
        return "z" + b58encode(data)
    return "u" + b64url_encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a ``z`` (base58btc) or ``u`` (base64url) multibase string."""
    if not isinstance(text, str) or not text:
        raise ParseError("multibase value must be a non-empty string")
    return _decode(text)


@functools.lru_cache(maxsize=4096)  # keys and signatures verified again and again; bounded, thread-safe
def _decode(text: str) -> bytes:
    prefix, body = text[0], text[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    raise ParseError(f"unsupported multibase prefix {prefix!r} (expected 'z' or 'u')")
