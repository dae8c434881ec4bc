"""How heavy a verification will be, judged cheaply before the expensive step: the two lanes.

The serving process verifies *light* requests itself and hands *heavy* ones to worker processes
(``application/verify_pool.py``), so that expensive work — honest (a long CLR, a big batch) or
hostile (a blank-node star, a small PNG whose text expands a hundredfold) — cannot take the CPU
and the interpreter lock of the process that answers everyone else. The judgement is conservative:
what cannot be judged cheaply is heavy.

- More than ``max_bytes`` presented (a body, a fetched credential, a batch request) is heavy,
  judged without parsing it.
- Otherwise the input is unwrapped (JSON parsed, a PNG's text inflated — at most ``max_bytes`` of
  it —, a VC-JWT decoded) and the JSON-LD work of its documents measured by the walk of
  ``jsonld/bounds``, stopped as soon as it passes the light limits: more than ``max_objects``
  objects (a third of that blank nodes), or ten times that many values or duplicate checks, or
  more than ``max_credentials``
  credentials (a presentation's, those a CLR carries, a batch's items) is heavy. So is a batch
  item given as a URL (what it names is only known once fetched).
- Input that cannot be unwrapped at all is light: the verifier refuses it as fast as this did.

For the light inputs this costs a parse and a walk of at most ``max_bytes``; the heavy ones were
judged by their length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from badge_issuer.config import Settings
from badge_issuer.errors import BadgeIssuerError, PayloadTooLarge, TooComplex
from badge_issuer.formats.sniff import Presented, unwrap
from badge_issuer.jsonld.bounds import JsonLdBounds, check_bounds

Lane = Literal["light", "heavy"]
#: values and duplicate checks a light input may hold, per object it may hold
_PER_OBJECT = 10


@dataclass(frozen=True)
class LightLimits:
    """What a light verification may hold (settings ``BADGE_VERIFY_HEAVY_*``)."""

    max_bytes: int = 64 * 1024
    max_objects: int = 300
    max_credentials: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> LightLimits:
        return cls(max_bytes=settings.verify_heavy_bytes, max_objects=settings.verify_heavy_objects)

    @property
    def bounds(self) -> JsonLdBounds:
        """The light limits as pre-JSON-LD bounds; blank nodes (what RDFC-1.0 works on) at most a
        third of the objects (the complete OB 3.0 example: 27 of 86)."""
        objects = self.max_objects
        return JsonLdBounds(objects, objects // 3, objects * _PER_OBJECT, objects * _PER_OBJECT)


@dataclass(frozen=True)
class Weight:
    """The lane a verification belongs in, and why (for logs and tests)."""

    lane: Lane
    reason: str
    #: a light input as ``weigh_presented`` unwrapped it, so the verifier need not parse it again
    presented: Presented | None = field(default=None, compare=False, repr=False)

    @property
    def heavy(self) -> bool:
        return self.lane == "heavy"


LIGHT = Weight("light", "within the light limits")


def weigh_presented(data: bytes, content_type: str | None, limits: LightLimits) -> Weight:
    """The lane of a presented (or fetched) badge: JSON, presentation, VC-JWT, baked PNG or SVG."""
    if len(data) > limits.max_bytes:
        return Weight("heavy", f"{len(data):,} bytes presented")
    try:
        presented = unwrap(data, content_type, max_bytes=limits.max_bytes)
    except PayloadTooLarge:
        return Weight("heavy", f"the presented text expands past {limits.max_bytes:,} bytes")
    except BadgeIssuerError:
        return LIGHT  # not a credential at all: refused at once by the verifier too
    documents: list[Any] = [item.document for item in presented.credentials]
    if presented.presentation is not None:
        documents.append({k: v for k, v in presented.presentation.items() if k != "verifiableCredential"})
    weight = _weigh_documents(documents, len(presented.credentials), limits)
    return weight if weight.heavy else replace(weight, presented=presented)


def weigh_batch(items: Sequence[Any], limits: LightLimits) -> Weight:
    """The lane of a parsed batch (whose request was at most ``max_bytes``)."""
    if len(items) > limits.max_credentials:
        return Weight("heavy", f"a batch of {len(items)} items")
    documents: list[Any] = []
    for item in items:
        if isinstance(item, Mapping) and "url" in item:
            return Weight("heavy", "a batch item is a URL to fetch")
        if isinstance(item, str):
            weight = weigh_presented(item.encode("utf-8"), "text/plain", limits)
            if weight.heavy:
                return weight
        else:
            documents.append(item)
    return _weigh_documents(documents, len(items), limits)


def _weigh_documents(documents: Iterable[Any], credentials: int, limits: LightLimits) -> Weight:
    bounds = limits.bounds
    objects = values = checks = 0
    for document in documents:
        credentials += _carried(document)
        if credentials > limits.max_credentials:
            return Weight("heavy", f"more than {limits.max_credentials} credentials")
        try:
            counts = check_bounds(document, bounds)
        except TooComplex:
            return Weight("heavy", "more JSON-LD work than a light verification may do")
        objects += counts.objects
        values += counts.values
        checks += counts.duplicate_checks
        if objects > bounds.max_objects or values > bounds.max_values or checks > bounds.max_duplicate_checks:
            return Weight("heavy", "more JSON-LD work than a light verification may do")
    return LIGHT


def _carried(document: Any) -> int:
    """How many credentials a CLR carries (``credentialSubject.verifiableCredential``)."""
    subject = document.get("credentialSubject") if isinstance(document, Mapping) else None
    carried = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    if isinstance(carried, list):
        return len(carried)
    return 1 if carried is not None else 0
