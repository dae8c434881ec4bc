"""The offline JSON-LD document loader: pinned local copies of the contexts we know, nothing else.

A context is served only from the package's ``contexts/`` folder, and only when its bytes still hash
to the sha256 pinned here. Any other URL raises ``ContextNotAllowed``; this loader never fetches.
The verifier's loader alone may be given a ``RemoteContextSource`` (``with_remote``): it is asked
for the URLs we do not pin, and what it serves is never put in the shared processed-context cache
by URL (its bytes may differ from one verification to the next). The loader is passed to every
JSON-LD call (never installed as pyld's global loader) and carries its own processed-context cache,
so repeated signing does not re-process the same contexts. That cache is shared by every thread and
document of an application, so it is a thread-safe ``SharedCache`` (see ``context_cache``), and pyld
gets a fresh copy of a document on each load (its context processing edits what it loads).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

from badge_issuer.budget import checkpoint
from badge_issuer.errors import ConfigurationError, ContextNotAllowed
from badge_issuer.jsonld.context_cache import CONTEXT_CACHE_SIZE, SharedCache
from badge_issuer.jsonld.context_memo import BoundedMap, ContextMemo

#: entries of ``DocumentLoader.derived`` (each a 32-byte key and a 64-byte value)
DERIVED_SIZE = 4096
#: entries of ``DocumentLoader.verified_signatures`` (each key ~200 bytes)
SIGNATURES_SIZE = 4096

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


@dataclass(frozen=True)
class PinnedContext:
    """One context we serve: its canonical URL, the file that holds it, and the file's sha256."""

    url: str
    filename: str
    sha256: str


PINNED: tuple[PinnedContext, ...] = (
    PinnedContext(
        VC_V2,
        "credentials-v2.jsonld",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    ),
    PinnedContext(
        VC_V1,
        "credentials-v1.jsonld",
        "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
    ),
    PinnedContext(
        "https://www.w3.org/ns/credentials/examples/v2",
        "credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    ),
    PinnedContext(
        "https://www.w3.org/2018/credentials/examples/v1",
        "credentials-examples-v1.jsonld",
        "2070ae4e75bc3b4c2cfe2b8b6e86ec45119672bbb5da283f0399ea96c60a0104",
    ),
    PinnedContext(
        "https://w3id.org/security/data-integrity/v1",
        "data-integrity-v1.jsonld",
        "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    ),
    PinnedContext(
        "https://w3id.org/security/data-integrity/v2",
        "data-integrity-v2.jsonld",
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    ),
    PinnedContext(
        MULTIKEY_V1,
        "multikey-v1.jsonld",
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    ),
    PinnedContext(
        "https://w3id.org/security/jwk/v1",
        "jwk-v1.jsonld",
        "0f14b62f6071aafe00df265770ea0c7508e118247d79b7d861a406d2aa00bece",
    ),
    PinnedContext(
        "https://www.w3.org/ns/credentials/status/v1",
        "bitstring-status-list-v1.jsonld",
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    ),
    PinnedContext(
        "https://w3id.org/vc/status-list/2021/v1",
        "status-list-2021-v1.jsonld",
        "6dd06a52bedb771e059c1083ba8ba7848dce22f6b4a8cfa0b98ba3fc188870e4",
    ),
    PinnedContext(
        "https://www.w3.org/ns/cid/v1",
        "cid-v1.jsonld",
        "ea216ecc1cb02cd39b693dba2250141e270ba0bf95890be107dd9a9e8e43de85",
    ),
    PinnedContext(
        DID_V1, "did-v1.jsonld", "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f"
    ),
    PinnedContext(
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "ed25519-signature-2020-v1.jsonld",
        "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588",
    ),
    PinnedContext(
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "ob-v3p0-context.json",
        "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    ),
    PinnedContext(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "ob-v3p0-context-3.0.1.json",
        "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355",
    ),
    PinnedContext(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "ob-v3p0-context-3.0.2.json",
        "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    ),
    PinnedContext(
        OB_V3P0_CONTEXT,
        "ob-v3p0-context-3.0.3.json",
        "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84",
    ),
    PinnedContext(
        OB_V3P0_EXTENSIONS,
        "ob-v3p0-extensions.json",
        "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    ),
    PinnedContext(
        "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
        "clr-v2p0-context.json",
        "e198d7b517d74c5036434ce495086f67b10244709e9a3df9dcb7f8b1579b6167",
    ),
    PinnedContext(
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "clr-v2p0-context-2.0.1.json",
        "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    ),
)


def _read_pinned(entry: PinnedContext) -> Any:
    data = resources.files("badge_issuer.jsonld").joinpath("contexts", entry.filename).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ConfigurationError(
            f"pinned context {entry.url} ({entry.filename}) has sha256 {digest}, expected {entry.sha256}"
        )
    return json.loads(data)


class RemoteContextSource(Protocol):
    def document(self, url: str) -> Any:
        """The parsed context at ``url`` for the verification under way; ContextNotAllowed if none."""
        ...


class DocumentLoader:
    """A pyld document loader over an immutable URL → JSON map; unknown URLs raise (or go to ``remote``)."""

    def __init__(self, documents: Mapping[str, Any], *, remote: RemoteContextSource | None = None) -> None:
        self._documents = dict(documents)
        #: where URLs we do not pin are looked up (the verifier's loader only); None: they are refused
        self.remote = remote
        #: pyld's processed-context cache, owned by this loader (not pyld's module global) and
        #: shared by every thread using it
        self.context_cache = SharedCache(CONTEXT_CACHE_SIZE)
        #: processed contexts kept across documents, scoped ones included (``context_memo``)
        self.context_memo = ContextMemo(self.knows)
        #: results that are pure functions of a document and these pinned contexts, kept across
        #: documents (the verify data of proofs, ``crypto.proof_memo``); bounded
        self.derived = BoundedMap(DERIVED_SIZE)
        #: signatures seen to verify, by (public key, proofValue, verify data) (``crypto.proof_memo``)
        self.verified_signatures = BoundedMap(SIGNATURES_SIZE)

    @classmethod
    def pinned(cls) -> DocumentLoader:
        """The loader of every context in ``PINNED``, each checked against its sha256."""
        return cls({entry.url: _read_pinned(entry) for entry in PINNED})

    def with_remote(self, remote: RemoteContextSource) -> DocumentLoader:
        """A loader of the same pinned contexts that also asks ``remote`` for any other URL."""
        return DocumentLoader(self._documents, remote=remote)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._documents)

    def knows(self, url: str) -> bool:
        return url in self._documents

    def document(self, url: str) -> Any:
        """The parsed document at ``url``; ContextNotAllowed for one we do not pin (and ``remote`` lacks)."""
        try:
            return self._documents[url]
        except KeyError:
            if self.remote is None:
                raise ContextNotAllowed(url) from None
        return self.remote.document(url)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """pyld's loader protocol: a RemoteDocument; ``tag: static`` lets pyld cache a pinned context."""
        checkpoint("JSON-LD context loading")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(self.document(url)),
            "tag": "static" if url in self._documents else None,
        }
