"""Baked SVG badges (OB 3.0 §"Baked Badge", SVG): an ``<openbadges:credential>`` after ``<svg>``.

A JWT goes in a ``verify`` attribute of an empty element, JSON in a CDATA section. Input is read
with a small scanner, never an XML parser: a DOCTYPE may only name an external DTD (never loaded);
internal subsets, ``<!ENTITY`` and other declarations are refused, and only the five predefined
entities and character references are expanded. Any prefix bound to the OB 3.0 namespace counts;
so does a bare ``openbadges:`` prefix, and ``<openbadges:assertion>`` (OB 2.0) as a fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.vcjwt import COMPACT_JWS

OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_NAMESPACE = "http://openbadges.org"
MAX_SVG_BYTES = 8 * 1024 * 1024
#: elements open at once; real badge art nests a few dozen deep, hostile input hundreds of thousands
MAX_DEPTH = 256
_LEGACY = (OB2_NAMESPACE, OB3_NAMESPACE)  # namespaces an <…:assertion> may be in

_NAME = r"[^\s/>=\"'<&!?]+"
_VALUE = r"\"[^\"<]*\"|'[^'<]*'"
_START_TAG = re.compile(rf"<({_NAME})((?:\s+{_NAME}\s*=\s*(?:{_VALUE}))*+)\s*(/?)>")
_ATTRIBUTE = re.compile(rf"\s+({_NAME})\s*=\s*({_VALUE})")
_END_TAG = re.compile(rf"</({_NAME})\s*>")
_DOCTYPE = re.compile(
    rf"<!DOCTYPE\s+{_NAME}(?:\s+SYSTEM\s+(?:{_VALUE})|\s+PUBLIC\s+(?:{_VALUE})\s+(?:{_VALUE}))?\s*>"
)
_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|lt|gt|amp|quot|apos);|&")
_PREDEFINED = MappingProxyType({"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"})
_ENCODING = re.compile(r"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")
_SINGLE_BYTE = MappingProxyType(
    {"iso-8859-1": "latin-1", "latin1": "latin-1", "latin-1": "latin-1", "us-ascii": "ascii"}
)


class _Attr(NamedTuple):
    name: str
    value: str  # as written, quotes stripped, references not expanded
    start: int  # position of the value (inside the quotes)


class _Token(NamedTuple):
    kind: str  # text | comment | cdata | pi | doctype | start | empty | end
    start: int
    end: int
    name: str = ""
    attrs: tuple[_Attr, ...] = ()


class _Baked(NamedTuple):
    kind: str  # credential | assertion
    start: int
    end: int
    value: str


def bake_svg(svg: str, payload: str) -> str:
    """``svg`` with ``payload`` (compact JWS or credential JSON) baked in.

    Earlier baked elements (OB 3.0 credential or OB 2.0 assertion) are removed, and
    ``xmlns:openbadges`` on the root is added, or re-pointed at the OB 3.0 namespace.
    """
    payload = payload.strip()
    if COMPACT_JWS.fullmatch(payload):
        element = f'<openbadges:credential verify="{payload}"/>'
    elif payload.startswith("{"):
        cdata = payload.replace("]]>", "]]]]><![CDATA[>")
        element = f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"
    else:
        raise ParseError("the payload is neither a compact JWS nor a JSON object")
    svg = _as_text(svg, MAX_SVG_BYTES)
    root, baked = _find(svg, first_only=False)
    for old in reversed(baked):
        svg = svg[: old.start] + svg[old.end :]
    if root.kind == "empty":  # <svg …/> becomes <svg …>element</svg>
        close = svg.rindex("/", root.start, root.end)
        svg = f"{svg[:close]}>{element}</{root.name}>{svg[root.end :]}"
    else:
        svg = svg[: root.end] + element + svg[root.end :]
    declared = next((a for a in root.attrs if a.name == "xmlns:openbadges"), None)
    if declared is None:
        at = root.start + 1 + len(root.name)
        svg = f'{svg[:at]} xmlns:openbadges="{OB3_NAMESPACE}"{svg[at:]}'
    elif _unescape(declared.value) != OB3_NAMESPACE:
        end = declared.start + len(declared.value)
        svg = svg[: declared.start] + OB3_NAMESPACE + svg[end:]
    return svg


def unbake_svg(svg: bytes | str, *, max_bytes: int = MAX_SVG_BYTES) -> str:
    """The baked credential: the first OB 3.0 credential element, else an OB 2.0 assertion."""
    _, baked = _find(_as_text(svg, max_bytes), first_only=True)
    chosen = next((b for b in baked if b.kind == "credential"), baked[0] if baked else None)
    if chosen is None:
        raise ParseError("no baked credential in the SVG")
    if not chosen.value:
        raise ParseError("the baked credential element in the SVG is empty")
    return chosen.value


def _as_text(svg: bytes | str, max_bytes: int) -> str:
    if len(svg) > max_bytes:
        raise PayloadTooLarge(f"the SVG is larger than {max_bytes} bytes")
    if isinstance(svg, str):
        return svg.removeprefix("\ufeff")
    codec = "utf-16" if svg.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    declared = _ENCODING.match(svg[:300].decode("latin-1"))
    if declared and codec != "utf-16":
        codec = _SINGLE_BYTE.get(declared.group(1).lower(), codec)
    try:
        return svg.decode(codec)
    except UnicodeDecodeError as exc:
        raise ParseError(f"the SVG is not valid {codec}") from exc


def _find(text: str, *, first_only: bool) -> tuple[_Token, list[_Baked]]:
    """The root ``<svg>`` tag and the baked elements, checking tag balance on the way."""
    tokens = _scan(text)
    root: _Token | None = None
    stack: list[tuple[str, Mapping[str, str]]] = []
    found: list[_Baked] = []
    for token in tokens:
        if root is None and token.kind == "text" and text[token.start : token.end].strip():
            raise ParseError("the SVG has text before its root element")
        if token.kind == "end":
            if not stack or stack[-1][0] != token.name:
                raise ParseError(f"unexpected end tag </{token.name}> in the SVG")
            stack.pop()
        if token.kind not in ("start", "empty"):
            continue
        if root is None:
            if token.name.rpartition(":")[2] != "svg":
                raise ParseError("not an SVG document: the root element is not <svg>")
            root = token
        elif not stack:
            raise ParseError("the SVG has more than one root element")
        scope = _scope(token, stack[-1][1] if stack else {})
        kind = _baked_kind(token.name, scope)
        if kind:
            value, end = _content(token, tokens, text)
            found.append(_Baked(kind, token.start, end, value))
            if first_only and kind == "credential":
                return root, found
        elif token.kind == "start":
            if len(stack) >= MAX_DEPTH:
                raise ParseError(f"the SVG nests elements more than {MAX_DEPTH} deep")
            stack.append((token.name, scope))
    if root is None:
        raise ParseError("not an SVG document: no root element")
    if stack:
        raise ParseError(f"the SVG is truncated: <{stack[-1][0]}> is never closed")
    return root, found


def _scan(text: str) -> Iterator[_Token]:
    """Markup tokens in order; ParseError on anything the scanner does not accept."""
    pos = 0
    while pos < len(text):
        yield (token := _next_token(text, pos))
        pos = token.end


def _next_token(text: str, pos: int) -> _Token:
    if not text.startswith("<", pos):
        lt = text.find("<", pos)
        return _Token("text", pos, len(text) if lt < 0 else lt)
    if text.startswith("<!--", pos):
        return _Token("comment", pos, _after(text, "-->", pos + 4, "comment"))
    if text.startswith("<![CDATA[", pos):
        return _Token("cdata", pos, _after(text, "]]>", pos + 9, "CDATA section"))
    if text.startswith("<?", pos):
        return _Token("pi", pos, _after(text, "?>", pos + 2, "processing instruction"))
    if text.startswith("<!DOCTYPE", pos):
        if not (match := _DOCTYPE.match(text, pos)):
            raise ParseError("SVG DOCTYPEs with an internal subset (entities) are refused")
        return _Token("doctype", pos, match.end())
    if text.startswith("<!", pos):
        raise ParseError("markup declarations such as <!ENTITY are refused in SVG")
    if text.startswith("</", pos):
        if not (match := _END_TAG.match(text, pos)):
            raise ParseError(f"malformed end tag at character {pos} of the SVG")
        return _Token("end", pos, match.end(), match.group(1))
    if not (match := _START_TAG.match(text, pos)):
        raise ParseError(f"malformed tag at character {pos} of the SVG")
    attrs = tuple(
        _Attr(a.group(1), a.group(2)[1:-1], a.start(2) + 1)
        for a in _ATTRIBUTE.finditer(text, match.start(2), match.end(2))
    )
    return _Token("empty" if match.group(3) else "start", pos, match.end(), match.group(1), attrs)


def _content(token: _Token, tokens: Iterator[_Token], text: str) -> tuple[str, int]:
    """The ``verify`` attribute, else the text and CDATA of a baked element, and where it ends."""
    verify = next((_unescape(a.value).strip() for a in token.attrs if a.name == "verify"), "")
    if token.kind == "empty":
        return verify, token.end
    parts: list[str] = []
    for inner in tokens:
        if inner.kind == "text":
            parts.append(_unescape(text[inner.start : inner.end]))
        elif inner.kind == "cdata":
            parts.append(text[inner.start + 9 : inner.end - 3])
        elif inner.kind == "end" and inner.name == token.name:
            return verify or "".join(parts).strip(), inner.end
        elif inner.kind not in ("comment", "pi"):
            raise ParseError(f"unexpected markup inside <{token.name}> in the SVG")
    raise ParseError(f"the SVG is truncated: <{token.name}> is never closed")


def _scope(token: _Token, parent: Mapping[str, str]) -> Mapping[str, str]:
    """Namespace prefixes in scope at ``token`` ("" = default namespace)."""
    declared = {
        a.name.partition(":")[2]: _unescape(a.value)
        for a in token.attrs
        if a.name == "xmlns" or a.name.startswith("xmlns:")
    }
    return {**parent, **declared} if declared else parent


def _baked_kind(qname: str, scope: Mapping[str, str]) -> str | None:
    prefix, _, local = qname.rpartition(":")
    namespace = scope.get(prefix)
    if local == "credential" and (namespace == OB3_NAMESPACE or prefix == "openbadges"):
        return "credential"
    if local == "assertion" and (namespace in _LEGACY or prefix == "openbadges"):
        return "assertion"
    return None


def _unescape(value: str) -> str:
    """Expand predefined entities and character references; ParseError for any other ``&``."""
    return _REFERENCE.sub(_expand, value) if "&" in value else value


def _expand(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref is None:
        raise ParseError("the SVG uses an entity that is not predefined (no DTD is read)")
    if not ref.startswith("#"):
        return _PREDEFINED[ref]
    code = int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:])
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD:
        return chr(code)
    if 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise ParseError(f"the SVG references a character XML does not allow (#{code})")


def _after(text: str, terminator: str, start: int, what: str) -> int:
    end = text.find(terminator, start)
    if end < 0:
        raise ParseError(f"unterminated {what} in the SVG")
    return end + len(terminator)
