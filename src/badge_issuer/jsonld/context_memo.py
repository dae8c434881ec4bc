"""Processed JSON-LD contexts kept across documents, type- and property-scoped ones included.

pyld keeps a processed context per (resolved context, active context it was applied to), keyed by
the active context's ``_uuid``. Every type-scoped context (``@propagate: false``) is applied to a
fresh clone of the active context, and every processed context gets a fresh ``uuid1``, so past the
document's own top-level contexts that cache never hits across documents: a typical credential
paid ~150 term definitions and a JCS serialization of each scoped context on every signature.

:class:`MemoProcessor` memoises ``_process_context`` itself: the same (active context object, local
context, flags) gives back the *same* frozen active context object, so the ``_uuid`` of what comes
next is stable too and the whole chain of scoped contexts is processed once per loader. A result is
a pure function of its key, and it is kept only when every input is immutable and trusted:

- the active context is one pyld froze (a ``frozendict`` with a ``_uuid``), held by the entry and
  compared by identity, so a key never outlives the object it names;
- the local context is a URL the loader pins, or a ``@context`` object or array found in a term
  definition of a context kept here (those come from pinned context files, never from a caller's
  document); an inline context of the document itself is processed by pyld as before;
- no context outside the pinned set was resolved while processing (``SharedContextResolver``
  counts those: a fetched context may differ from one verification to the next).

The memo is owned by the loader and bounded (``BoundedMap``: emptied when full, safe for threads
without a lock); a hit still checks the CPU budget (``checkpoint``) as the processing it replaces
would. IRI expansion against a kept context is memoised the same way.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping
from typing import Any

from frozendict import frozendict
from pyld import jsonld

from badge_issuer.budget import checkpoint
from badge_issuer.jsonld.context_cache import SharedContextResolver

#: processed contexts kept per loader (each a few hundred term definitions)
MEMO_SIZE = 512
#: expanded IRIs kept per loader (emptied when full: document values are keys too)
IRI_MEMO_SIZE = 20_000

_Key = tuple[Any, ...]


def exact_form(value: Any) -> bytes | None:
    """``value`` as bytes that tell it apart exactly, for a memo's key; None when it is not plain
    data (a ``Mapping`` that is not a dict, a subclass of str, say).

    ``marshal`` writes each value with its exact type (1, 1.0 and true differ, so do -0.0 and 0.0),
    and the same bytes always load back as the same value: equal bytes are equal values (an equal
    value may have other bytes, member order say, which only misses a memo). Format 2, without the
    back-references of formats 3 and 4: those are written for values held elsewhere too, so the
    same value's bytes changed with what else held its strings; in format 2 every value is written
    in full. A fifth of the time of ``json.dumps`` with sorted keys (#11)."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return None


class BoundedMap:
    """A map of at most ``maxsize`` entries, emptied when full; shared by threads without a lock.

    Each operation is one ``dict`` get, set or clear, atomic under the GIL, and no caller iterates
    it, so concurrent readers and writers never see a broken map: at worst a value is computed
    twice, or again after a clear. Keys are tuples of strings, numbers and booleans (their hashing
    and comparison run no Python code), so no other thread runs inside an operation."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: dict[_Key, Any] = {}

    def get(self, key: _Key) -> Any:
        return self._data.get(key)

    def getter(self) -> Callable[[_Key], Any]:
        """``get`` as the map's own (C) lookup, for hot loops; it stays valid, as the map is only
        ever emptied in place."""
        return self._data.get

    def put(self, key: _Key, value: Any) -> None:
        if len(self._data) >= self.maxsize:
            self._data.clear()
        self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


class ContextMemo:
    """The processed contexts of one loader, and the scoped-context objects they own."""

    def __init__(self, knows: Any, maxsize: int = MEMO_SIZE) -> None:
        #: ``loader.knows``: whether a URL is one of the pinned contexts
        self.knows = knows
        #: key → (active context, local context, processed context)
        self.entries = BoundedMap(maxsize)
        #: id → the ``@context`` value of a term definition in a kept context (held, so ids stay unique)
        self.owned = BoundedMap(maxsize * 8)
        #: (active context ``_uuid``, value, base, vocab) → expanded IRI, for frozen active contexts
        self.iris = BoundedMap(IRI_MEMO_SIZE)
        #: (active context ``_uuid``, term) → what ``fast_rdf`` needs of the term's definition
        self.terms = BoundedMap(IRI_MEMO_SIZE)

    def local_key(self, local_ctx: Any) -> _Key | None:
        """What identifies ``local_ctx`` in a memo key, or None when it is not memoisable."""
        if isinstance(local_ctx, str):
            return ("url", local_ctx) if self.knows(local_ctx) else None
        if local_ctx is None:
            return ("null",)
        owned = self.owned.get((id(local_ctx),))
        if owned is not None and owned is local_ctx:
            return ("owned", id(local_ctx))
        if isinstance(local_ctx, list) and local_ctx:
            keys = [self.local_key(item) for item in local_ctx]
            if all(key is not None for key in keys):
                return ("list", *keys)
        return None

    def adopt(self, processed: Mapping[str, Any]) -> None:
        """Record the scoped contexts of ``processed``'s term definitions as owned by the memo."""
        for definition in processed["mappings"].values():
            if isinstance(definition, Mapping):
                scoped = definition.get("@context")
                if isinstance(scoped, dict | list):
                    self.owned.put((id(scoped),), scoped)


def _same(kept: Any, local_ctx: Any) -> bool:
    """Whether ``local_ctx`` is the local context a memo entry was made for (URLs compare by value)."""
    if kept is local_ctx:
        return True
    if isinstance(kept, str):
        return bool(kept == local_ctx)
    if isinstance(kept, list) and isinstance(local_ctx, list) and len(kept) == len(local_ctx):
        return all(_same(a, b) for a, b in zip(kept, local_ctx, strict=True))
    return False


class MemoProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, with context processing memoised in ``memo`` (see the module docstring)."""

    def __init__(self, memo: ContextMemo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.memo = memo

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        resolver = options.get("contextResolver")
        key = self._key(active_ctx, local_ctx, options, override_protected, propagate, validate_scoped)
        if key is None or cycles is not None or not isinstance(resolver, SharedContextResolver):
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        entry = self.memo.entries.get(key)
        if entry is not None and entry[0] is active_ctx and _same(entry[1], local_ctx):
            checkpoint("JSON-LD context processing")
            return entry[2]
        unpinned = resolver.unpinned
        processed = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped
        )
        if resolver.unpinned == unpinned and isinstance(processed, frozendict):
            self.memo.adopt(processed)
            self.memo.entries.put(key, (active_ctx, local_ctx, processed))
        return processed

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        """pyld's IRI expansion; outside context processing, a pure function of its arguments."""
        if local_ctx is not None or defined is not None or type(active_ctx) is not frozendict:
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        uuid = active_ctx.get("_uuid")
        if uuid is None or type(value) is not str:
            return super()._expand_iri(active_ctx, value, base, vocab)
        key = (uuid, value, base, vocab)
        found = self.memo.iris.get(key)
        if found is None:
            found = (super()._expand_iri(active_ctx, value, base, vocab),)
            self.memo.iris.put(key, found)
        return found[0]

    def _key(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Mapping[str, Any],
        override_protected: bool,
        propagate: bool,
        validate_scoped: bool,
    ) -> tuple[Any, ...] | None:
        if not isinstance(active_ctx, frozendict) or "_uuid" not in active_ctx:
            return None
        local = self.memo.local_key(local_ctx)
        if local is None:
            return None
        parts = (
            active_ctx["_uuid"],
            local,
            override_protected,
            propagate,
            validate_scoped,
            options.get("base"),
            options.get("processingMode"),
        )
        return parts
