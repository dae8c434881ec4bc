"""Text we refuse to put into a credential, because some verifiers would reject the badge.

RDFC-1.0 escapes U+FFFE and U+FFFF in canonical N-Quads (``jsonld/canon.py`` follows the REC), but
the JavaScript reference (rdf-canonize 5) does not: a badge carrying them hashes differently there
and fails in every suite. We refuse every Unicode noncharacter (U+FDD0–U+FDEF and each U+xFFFE /
U+xFFFF), not just those two, since none of them belongs in interchanged text.

The DCC verifier (Learner Credential Wallet, VerifierPlus) rejects Ed25519Signature2020 badges
containing a C0 control character other than LF and CR (TAB included), even ones the JavaScript
reference signed; so for that suite those are refused too.

This is an *issuance* rule only: verification stays per the REC. ``refuse_untransportable`` is the
one entry point; the issuance spine calls it on what the client sent (so the problem names the
request field) and on the built credential (so text stored earlier, such as an issuer profile,
cannot slip through), and achievement creation calls it on the badge class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from badge_issuer.errors import Issue, ValidationFailed

#: the suites whose verifiers (DCC) refuse C0 controls other than LF and CR
C0_STRICT_SUITES = frozenset({"Ed25519Signature2020"})
#: at most this many findings are reported for one document
MAX_FINDINGS = 20
_ALLOWED_C0 = frozenset({0x0A, 0x0D})

# A document's JSON text holds every string and member name: noncharacters verbatim (``json.dumps``
# with ``ensure_ascii=False`` escapes only C0 controls, quote and backslash) and C0 controls as
# escapes (\u00XX, \t, \b, \f; LF and CR as \n and \r, which we allow). A text without a match
# holds nothing we refuse; a match (possibly a backslash the client wrote) sends the document
# through the exact walk below.
_NONCHARACTERS = "\\uFDD0-\\uFDEF" + "".join(f"\\U{plane:04X}FFFE\\U{plane:04X}FFFF" for plane in range(17))
_MAYBE_REFUSED = re.compile(f"[{_NONCHARACTERS}]")
_MAYBE_CONTROL = re.compile(r"\\(?:u00[01]|[tbf])")


def is_noncharacter(code_point: int) -> bool:
    """Whether ``code_point`` is one of Unicode's 66 noncharacters."""
    return 0xFDD0 <= code_point <= 0xFDEF or (code_point & 0xFFFE) == 0xFFFE


def is_refused_control(code_point: int) -> bool:
    """A C0 control character other than LF and CR (TAB included)."""
    return code_point < 0x20 and code_point not in _ALLOWED_C0


def first_refused(text: str, *, controls: bool) -> str | None:
    """Why the first character of ``text`` we refuse is refused, else None."""
    for char in text:
        code_point = ord(char)
        if is_noncharacter(code_point):
            return (
                f"U+{code_point:04X}, a Unicode noncharacter, which other verifiers canonicalize "
                "differently (the badge would not verify there)"
            )
        if controls and is_refused_control(code_point):
            return (
                f"U+{code_point:04X}, a control character, which Ed25519Signature2020 verifiers "
                "(DCC) reject; only LF and CR are allowed with that suite"
            )
    return None


def _strings(document: Any) -> Iterator[tuple[str, str, bool]]:
    """``(pointer, text, is_key)`` for every string in ``document``, keys included (iterative)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, str):
            yield pointer, value, False
        elif isinstance(value, Mapping):
            items = []
            for key, item in value.items():
                child = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
                if isinstance(key, str):
                    yield child, key, True
                items.append((child, item))
            stack.extend(reversed(items))
        elif isinstance(value, list | tuple):
            stack.extend(reversed([(f"{pointer}/{index}", item) for index, item in enumerate(value)]))


def findings(document: Any, *, suites: Collection[str] = ()) -> list[Issue]:
    """Every string (and key) of ``document`` that some verifier would reject, as issues."""
    controls = bool(C0_STRICT_SUITES.intersection(suites))
    if _surely_clean(document, controls=controls):
        return []
    found: list[Issue] = []
    for pointer, text, is_key in _strings(document):
        refused = first_refused(text, controls=controls)
        if refused is None:
            continue
        what = "member name" if is_key else "text"
        found.append(Issue(pointer, f"{what} contains {refused}"))
        if len(found) >= MAX_FINDINGS:
            break
    return found


def _surely_clean(document: Any, *, controls: bool) -> bool:
    """True when no string of ``document`` can hold what we refuse: a search of its JSON text,
    ~20 times cheaper than walking every string of a typical credential (#11)."""
    try:
        text = json.dumps(document, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return False  # not plain JSON, or nested deeper than json.dumps goes: the walk decides
    if controls and _MAYBE_CONTROL.search(text) is not None:
        return False
    return _below_u0100(text) or _MAYBE_REFUSED.search(text) is None


def _below_u0100(text: str) -> bool:
    """Whether every character of ``text`` is below U+0100, so none is a noncharacter: asked of
    the string's storage (``isascii`` reads a flag; a string of one byte per character encodes to
    Latin-1 by a copy), where the search for noncharacters tried each of its ~35 ranges and code
    points at every character (~0.1 ms for a typical credential's text, in every award)."""
    if text.isascii():
        return True
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def refuse_untransportable(document: Any, *, suites: Collection[str] = (), what: str = "the request") -> None:
    """Raise ValidationFailed (one issue per offending string, pointers into ``document``)."""
    found = findings(document, suites=suites)
    if found:
        raise ValidationFailed(
            f"{what} contains text that would make the badge fail in other verifiers "
            f"({found[0].pointer}): {found[0].message}",
            found,
        )
