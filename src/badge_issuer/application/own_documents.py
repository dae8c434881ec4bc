"""Our own issuers' DID documents and status lists, read from the database without HTTP.

Verifying a badge this service issued must not depend on fetching our own public URLs (which in
development are plain http on loopback, and refused by the guarded fetcher). These sources answer
for this deployment's DIDs and status list URLs and pass anything else on to the remote source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.checks.base import StatusSource
from badge_issuer.crypto.did import did_key_document, did_web_document
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.tables import Issuer
from badge_issuer.errors import NotFound, ResolutionError
from badge_issuer.issuers import did_keys
from badge_issuer.revocation import StatusSessions, status_list_credential
from badge_issuer.signing import IssuanceTools

_OWN_LIST = r"([a-z0-9-]+)/status/(revocation|suspension)/([0-9]{1,9})"


class OwnControllers:
    """``ControllerSource`` for the DIDs of this deployment's issuers."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def controller_document(self, url: str) -> Mapping[str, Any]:
        with self._sessions() as session:
            issuer = session.scalar(select(Issuer).where(Issuer.did == url))
            if issuer is None:
                raise ResolutionError(f"{url} is not one of this service's issuers")
            if issuer.did_method == "key":
                return did_key_document(issuer.did)
            return did_web_document(issuer.did, did_keys(issuer, session))


class OwnStatusLists:
    """``StatusSource`` for this deployment's status list URLs; others go to ``remote``."""

    def __init__(
        self,
        sessions: StatusSessions,
        tools: Callable[[], IssuanceTools],
        ttl_seconds: int,
        remote: StatusSource,
    ) -> None:
        self._sessions, self._tools, self._ttl, self._remote = sessions, tools, ttl_seconds, remote

    def status_list(self, url: str) -> Mapping[str, Any]:
        tools = self._tools()
        prefix = tools.urls.base + "/issuers/"
        match = re.fullmatch(
            r"([a-z0-9-]+)/status/(revocation|suspension)/([0-9]{1,9})", url.removeprefix(prefix)
        )
        if not url.startswith(prefix) or match is None:
            return self._remote.status_list(url)
        slug, purpose, sequence = match.group(1), match.group(2), int(match.group(3))
        try:
            published = status_list_credential(
                self._sessions, slug, purpose, sequence, tools=tools, ttl_seconds=self._ttl
            )
        except NotFound as exc:
            raise ResolutionError(f"no status list at {url}: {exc.message}") from None
        document: Mapping[str, Any] = json.loads(published.json_text)
        return document

    def changed_on(self, credential_id: str, purpose: str) -> datetime | None:
        tools = self._tools()
        prefix = tools.urls.credential("")
        if not credential_id.startswith(prefix):
            return self._remote.changed_on(credential_id, purpose)
        action = "revoke" if purpose == "revocation" else "suspend"
        with self._sessions.readers() as session:
            events = CredentialRepository(session).events(credential_id.removeprefix(prefix))
        return next((event.at for event in reversed(events) if event.action == action), None)
