"""Our own issuers' DID documents and status lists, read from the database without HTTP.

Verifying a badge this service issued must not depend on fetching our own public URLs (which in
development are plain http on loopback, and refused by the guarded fetcher). These sources answer
for this deployment's DIDs and status list URLs and pass anything else on to the remote source.

Both are read on every verification of one of our badges, so each is one small query on the
tables (no ORM entities), on a read-only connection: for a DID, its method and its keys; for a
list, its signed JSON when it is signed at its current revision. What is derived from those (the
DID document; the parsed list and its expiry) is kept in a bounded map keyed by what was read,
so it can never be out of date: a key added, or a bit changed by a revocation in any process,
changes what the query returns, and the very next verification in every process sees it. A list
that is not signed at its current revision, or whose signature grows old, takes the full path
(``revocation.status_list_credential``), which signs it again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from badge_issuer.checks.base import StatusSource
from badge_issuer.crypto.did import did_key_document, did_web_document
from badge_issuer.crypto.keys import public_key_from_multibase
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import controller_keys
from badge_issuer.db.status import signed_list
from badge_issuer.errors import NotFound, ResolutionError
from badge_issuer.jsonld.context_memo import BoundedMap
from badge_issuer.revocation import (
    StatusSessions,
    signature_aging,
    signed_until,
    status_list_credential,
)
from badge_issuer.signing import IssuanceTools

_OWN_LIST = re.compile(r"([a-z0-9-]+)/status/(revocation|suspension)/([0-9]{1,9})")
#: DID documents kept (a few hundred bytes each)
MEMO_SIZE = 512
#: signed lists kept, parsed (a few kB each, tens of kB for a list with many bits set)
LIST_MEMO_SIZE = 128


class OwnControllers:
    """``ControllerSource`` for the DIDs of this deployment's issuers.

    The documents returned are shared between verifications: read them, never change them."""

    def __init__(self, readers: Engine, *, memo_size: int = MEMO_SIZE) -> None:
        self._readers = readers
        self._documents = BoundedMap(memo_size)

    def controller_document(self, url: str) -> Mapping[str, Any]:
        with self._readers.connect() as connection:
            found = controller_keys(connection, url)
        if found is None:
            raise ResolutionError(f"{url} is not one of this service's issuers")
        method, keys = found
        memo_key = (url, method, *keys)
        document: Mapping[str, Any] | None = self._documents.get(memo_key)
        if document is None:
            if method == "key":
                document = did_key_document(url)
            else:
                document = did_web_document(url, [(key, public_key_from_multibase(key)) for key in keys])
            self._documents.put(memo_key, document)
        return document


class OwnStatusLists:
    """``StatusSource`` for this deployment's status list URLs; others go to ``remote``.

    The lists returned are shared between verifications: read them, never change them."""

    def __init__(
        self,
        sessions: StatusSessions,
        readers: Engine,
        tools: Callable[[], IssuanceTools],
        ttl_seconds: int,
        remote: StatusSource,
        *,
        memo_size: int = LIST_MEMO_SIZE,
    ) -> None:
        self._sessions, self._readers, self._tools = sessions, readers, tools
        self._ttl, self._remote = ttl_seconds, remote
        #: signed JSON → (its validUntil, the parsed list)
        self._parsed = BoundedMap(memo_size)

    def status_list(self, url: str) -> Mapping[str, Any]:
        tools = self._tools()
        prefix = tools.urls.base + "/issuers/"
        match = _OWN_LIST.fullmatch(url.removeprefix(prefix))
        if not url.startswith(prefix) or match is None:
            return self._remote.status_list(url)
        slug, purpose, sequence = match.group(1), match.group(2), int(match.group(3))
        with self._readers.connect() as connection:
            text = signed_list(connection, slug, purpose, sequence)
        if text is not None:
            until, document = self._parse(text)
            if not signature_aging(until, tools.clock()):
                return document
        # no such list, a bit changed since it was signed, or its signature grows old
        try:
            published = status_list_credential(
                self._sessions, slug, purpose, sequence, tools=tools, ttl_seconds=self._ttl
            )
        except NotFound as exc:
            raise ResolutionError(f"no status list at {url}: {exc.message}") from None
        return self._parse(published.json_text)[1]

    def _parse(self, text: str) -> tuple[datetime | None, Mapping[str, Any]]:
        parsed: tuple[datetime | None, Mapping[str, Any]] | None = self._parsed.get((text,))
        if parsed is None:
            document = json.loads(text)
            parsed = (signed_until(document), document)
            self._parsed.put((text,), parsed)
        return parsed

    def changed_on(self, credential_id: str, purpose: str) -> datetime | None:
        tools = self._tools()
        prefix = tools.urls.credential("")
        if not credential_id.startswith(prefix):
            return self._remote.changed_on(credential_id, purpose)
        action = "revoke" if purpose == "revocation" else "suspend"
        with self._sessions.readers() as session:
            events = CredentialRepository(session).events(credential_id.removeprefix(prefix))
        return next((event.at for event in reversed(events) if event.action == action), None)
