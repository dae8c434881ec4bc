"""N-Quads: RDF terms written as canonical N-Quads (RDFC-1.0 Appendix A), and a strict reader.

The writer gives each term its one canonical form (``nquads_iri``, ``nquads_literal``,
``nquads_term``; ``quad_keys`` for a pyld-shaped dataset, ``nquads_line`` for a whole statement)
and refuses what that form cannot hold (IRIs with characters outside IRIREF, malformed language
tags, blank-node predicates) with :class:`~badge_issuer.errors.JsonLdError`. The reader
(``parse_nquads``) builds pyld's dataset shape from an N-Quads 1.1 document, escapes included.
``canon`` canonicalizes what these write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeAlias

from badge_issuer.errors import JsonLdError, ParseError

Term: TypeAlias = Mapping[str, str]
Quad: TypeAlias = Mapping[str, Term]
Dataset: TypeAlias = Mapping[str, Sequence[Quad]]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Appendix A: BS HT LF FF CR " \ use ECHAR; other C0 controls, DEL and non-XML-1.1-Char code
# points (surrogates, U+FFFE, U+FFFF) use \u with four uppercase HEX; the rest stay as they are.
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_TO_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f\ud800-\udfff\ufffe\uffff]')
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\ud800-\udfff]')
_LANGTAG = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")

QuadKey: TypeAlias = tuple[str, str, str, str]  # canonical terms; "" is the default graph


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


def _iri(value: str) -> str:
    if not value or _BAD_IRI.search(value):
        raise JsonLdError(f"IRI {value!r} cannot be written in canonical N-Quads")
    return f"<{value}>"


def _term(term: Term, *, allow_literal: bool = False, allow_blank: bool = True) -> str:
    """One RDF term in canonical N-Quads form; blank nodes keep their input label."""
    kind, value = term["type"], term["value"]
    if kind == "IRI":
        return _iri(value)
    if kind == "blank node" and allow_blank:
        return value if value.startswith("_:") else f"_:{value}"
    if kind != "literal" or not allow_literal:
        raise JsonLdError(f"an RDF term of type {kind!r} is not allowed here")
    text = '"' + _TO_ESCAPE.sub(_escape, value) + '"'
    language = term.get("language")
    if language is not None:
        if not _LANGTAG.fullmatch(language):
            raise JsonLdError(f"language tag {language!r} is not well-formed")
        return f"{text}@{language}"
    datatype = term.get("datatype", XSD_STRING)
    return text if datatype == XSD_STRING else f"{text}^^{_iri(datatype)}"


def quad_keys(dataset: Dataset) -> list[QuadKey]:
    """The quads of a pyld-shaped dataset as canonical N-Quads terms."""
    keys: list[QuadKey] = []
    for graph_name, quads in dataset.items():
        g = "" if graph_name == "@default" else graph_name
        g = g if g[:2] in ("", "_:") else _iri(g)
        for item in quads:
            s = _term(item["subject"])
            p = _term(item["predicate"], allow_blank=False)
            keys.append((s, p, _term(item["object"], allow_literal=True), g))
    return keys


def nquads_iri(value: str) -> str:
    """An IRI as an N-Quads term (JsonLdError for one IRIREF cannot hold)."""
    return _iri(value)


def nquads_literal(value: str, datatype: str = XSD_STRING) -> str:
    """A literal (not language-tagged) as an N-Quads term."""
    text = '"' + _TO_ESCAPE.sub(_escape, value) + '"'
    return text if datatype == XSD_STRING else f"{text}^^{_iri(datatype)}"


def nquads_term(term: Term) -> str:
    """A pyld-shaped object term (IRI, blank node or literal) as an N-Quads term."""
    return _term(term, allow_literal=True)


def nquads_line(quad: QuadKey, label: Callable[[str], str]) -> str:
    """The quad's N-Quads line, blank nodes (only they start with ``_``) renamed by ``label``."""
    s, p, o, g = quad
    if s[0] == "_":
        s = label(s)
    if o[0] == "_":
        o = label(o)
    if not g:
        return f"{s} {p} {o} .\n"
    return f"{s} {p} {o} {label(g) if g[0] == '_' else g} .\n"


# --- a strict N-Quads 1.1 reader (pyld's parse_nquads leaves \u and \b \f \' escapes as-is) --
_PN_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN = _PN_BASE + "_:\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_IRIREF = rf'<((?:[^\x00-\x20<>"{{}}|^`\\]|{_UCHAR})*)>'
_BNODE = rf"_:([{_PN_BASE}_:0-9](?:[{_PN}.]*[{_PN}])?)"
_NODE = rf"(?:{_IRIREF}|{_BNODE})"
_STATEMENT = re.compile(
    rf"[ \t]*{_NODE}[ \t]*{_IRIREF}[ \t]*"
    rf'(?:{_NODE}|"((?:[^"\\\n\r]|\\[tbnrf"\'\\]|{_UCHAR})*)"'
    rf"(?:\^\^{_IRIREF}|@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*))?)"
    rf"[ \t]*(?:{_NODE}[ \t]*)?\.[ \t]*(?:#.*)?"
)
_UNESCAPE = re.compile(rf"\\[tbnrf\"'\\]|{_UCHAR}")
_UNECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    text = match.group()
    if text[1] in "uU":
        code = int(text[2:], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise ParseError(f"N-Quads escape {text} is not a Unicode scalar value")
        return chr(code)
    return _UNECHAR[text[1]]


def _node(iri: str | None, label: str | None) -> dict[str, str]:
    if label is not None:
        return {"type": "blank node", "value": f"_:{label}"}
    value = _UNESCAPE.sub(_unescape, iri or "")
    if _BAD_IRI.search(value):
        raise ParseError(f"IRI {value!r} contains characters IRIREF does not allow")
    return {"type": "IRI", "value": value}


def parse_nquads(text: str) -> dict[str, list[dict[str, dict[str, str]]]]:
    """Parse an N-Quads 1.1 document into the pyld dataset shape, dropping duplicate quads.

    Raises ParseError on any line that is not a statement, blank or a comment."""
    dataset: dict[str, list[dict[str, dict[str, str]]]] = {}
    seen: set[tuple[str, ...]] = set()
    for number, line in enumerate(re.split(r"[\r\n]+", text), start=1):
        if not line.strip(" \t") or line.lstrip(" \t").startswith("#"):
            continue
        m = _STATEMENT.fullmatch(line)
        if m is None:
            raise ParseError(f"N-Quads line {number} is not a valid statement")
        s_iri, s_bn, p_iri, o_iri, o_bn, lit, dt, lang, g_iri, g_bn = m.groups()
        obj: dict[str, str]
        if lit is None:
            obj = _node(o_iri, o_bn)
        else:
            obj = {"type": "literal", "value": _UNESCAPE.sub(_unescape, lit)}
            if lang is not None:
                obj |= {"datatype": RDF_LANG_STRING, "language": lang}
            else:
                obj["datatype"] = XSD_STRING if dt is None else _node(dt, None)["value"]
        quad = {"subject": _node(s_iri, s_bn), "predicate": _node(p_iri, None), "object": obj}
        graph = "@default"
        if g_iri is not None or g_bn is not None:
            graph = _node(g_iri, g_bn)["value"]
        key = (graph, *(f"{t['type']}\0{t['value']}" for t in quad.values()), *obj.values())
        if key not in seen:
            seen.add(key)
            dataset.setdefault(graph, []).append(quad)
    return dataset
