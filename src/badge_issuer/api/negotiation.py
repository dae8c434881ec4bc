"""Content negotiation of public documents: a page for browsers, JSON-LD for everyone else.

A credential, issuer Profile or achievement answers HTML only when the ``Accept`` header prefers
``text/html`` *strictly* over every JSON type (RFC 9110 §12.5.1: each type takes the quality of the
most specific range that matches it). Browsers send ``text/html`` with more weight than ``*/*``;
``curl``, wallets and verifiers send ``*/*``, a JSON type or nothing, and keep getting the JSON-LD
document byte for byte. Both answers say ``Vary: Accept``.
"""

from __future__ import annotations

HTML = "text/html"
JSON_TYPES = ("application/vc+ld+json", "application/ld+json", "application/json", "application/vc")
#: an Accept header longer than this is not read (it then prefers nothing: the JSON-LD default)
MAX_ACCEPT = 2048
MAX_RANGES = 64


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(",")[:MAX_RANGES]:
        media, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def quality(accept: str, media: str) -> float:
    """The quality ``accept`` gives ``media`` (0 when no range matches)."""
    kind = media.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for candidate, weight in _ranges(accept):
        if candidate == media:
            specificity = 2
        elif candidate == f"{kind}/*":
            specificity = 1
        elif candidate == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, weight)
    return best[1]


def prefers_html(accept: str | None) -> bool:
    """Whether the client asked for a page rather than the JSON-LD document."""
    if not accept or len(accept) > MAX_ACCEPT:
        return False
    html = quality(accept, HTML)
    return html > 0 and html > max(quality(accept, media) for media in JSON_TYPES)
