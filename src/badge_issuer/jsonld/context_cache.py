"""The processed-context cache, shared by every thread and every document of an application.

pyld caches a resolved context per URL (or per inline context) and, inside each one, the processed
active context per active context it was applied to. Both caches are ``cachetools.LRUCache`` objects,
which are not safe for concurrent use: an LRU read moves the key, a write may evict, and two
threads doing that at once raise ``KeyError``/``RuntimeError`` inside pyld — a valid badge then
failed its proof check. Sharing the cache across documents is where repeated JSON-LD processing
gets its speed, so it stays shared and is made safe instead:

- :class:`SharedCache` is an LRU mapping whose every operation holds one lock;
- :class:`SharedContextResolver` (pyld's ``ContextResolver``, one per operation) publishes only
  :class:`SharedResolvedContext` objects to the shared cache: their processed-context cache is a
  ``SharedCache`` and their document is handed out as a shallow copy, so that pyld's one in-place
  edit of a resolved context (``@import`` merges the importing context's entries into the imported
  one) stays inside one operation. For the same reason they keep only processed *active contexts*:
  pyld also files an ``@import`` merge under the imported context's processed entries, where the
  next document using that context would take it for the processed context and crash.
  Tag maps are replaced, never edited, once published.
- :class:`SharedProcessor` is pyld's processor for compaction: pyld keeps compaction's inverse
  contexts in a module-global ``LRUCache``, which it only touches in ``_get_inverse_context``; that
  method runs under one process-wide lock.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Hashable, Iterator, MutableMapping
from typing import Any

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.resolved_context import MAX_ACTIVE_CONTEXTS, ResolvedContext

from badge_issuer.budget import checkpoint

#: resolved contexts kept per loader (URLs and inline context objects)
CONTEXT_CACHE_SIZE = 256


class SharedCache(MutableMapping[Hashable, Any]):
    """A least-recently-used mapping that any number of threads may read and write at once."""

    def __init__(self, maxsize: int) -> None:
        self._lock = threading.Lock()
        self._data: LRUCache[Hashable, Any] = LRUCache(maxsize=maxsize)

    @property
    def maxsize(self) -> int:
        return int(self._data.maxsize)

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    def __getitem__(self, key: Hashable) -> Any:
        with self._lock:
            return self._data[key]

    def __setitem__(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value

    def __delitem__(self, key: Hashable) -> None:
        with self._lock:
            del self._data[key]

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __iter__(self) -> Iterator[Hashable]:
        with self._lock:
            return iter(list(self._data))

    def tag(self, key: str, tag: str, value: Any) -> None:
        """Set ``value`` under ``tag`` in the tag map at ``key`` (a new map replaces the old one)."""
        with self._lock:
            tags = dict(self._data.get(key) or {})
            tags[tag] = value
            self._data[key] = tags


_INVERSE_CONTEXTS = threading.Lock()


class SharedProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, reading and filling pyld's global inverse-context cache under a lock."""

    def _get_inverse_context(self, active_ctx: Any) -> Any:
        with _INVERSE_CONTEXTS:
            return super()._get_inverse_context(active_ctx)


class SharedResolvedContext(ResolvedContext):  # type: ignore[misc]
    """A resolved context safe to share: a locked processed-context cache, a copied document."""

    def __init__(self, document: Any) -> None:
        self._document = document
        self.cache = SharedCache(MAX_ACTIVE_CONTEXTS)

    @property
    def document(self) -> Any:
        value = self._document
        return dict(value) if isinstance(value, dict) else value

    def set_processed(self, active_ctx: Any, processed_ctx: Any) -> None:
        if isinstance(processed_ctx, dict) and "mappings" in processed_ctx:
            self.cache[active_ctx["_uuid"]] = processed_ctx

    @classmethod
    def of(cls, resolved: ResolvedContext) -> SharedResolvedContext:
        if isinstance(resolved, SharedResolvedContext):
            return resolved
        return cls(copy.deepcopy(resolved.document))


class SharedContextResolver(ContextResolver):  # type: ignore[misc]
    """pyld's per-operation context resolver over a ``SharedCache`` (pyld 3.3's resolver hooks)."""

    def __init__(self, shared_cache: SharedCache, document_loader: Any) -> None:
        super().__init__(shared_cache, document_loader)
        #: context URLs resolved that the loader does not pin (their processing is never memoised)
        self.unpinned = 0

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        checkpoint("JSON-LD context processing")  # once per (type- or property-) scoped context
        knows = getattr(self.document_loader, "knows", None)
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        for entry in context if isinstance(context, list) else [context]:
            if isinstance(entry, str) and (knows is None or not knows(entry)):
                self.unpinned += 1
        return super().resolve(active_ctx, context, base, cycles)

    def _cache_resolved_context(self, key: str, resolved: Any, tag: str | None) -> Any:
        self.per_op_cache[key] = resolved
        if tag:
            shared = (
                [SharedResolvedContext.of(item) for item in resolved]
                if isinstance(resolved, list)
                else SharedResolvedContext.of(resolved)
            )
            self.shared_cache.tag(key, tag, shared)
        return resolved
