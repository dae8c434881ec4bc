"""The per-application container of collaborators, built once by ``create_app(settings)``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.clock import Clock
from badge_issuer.config import Settings
from badge_issuer.crypto.did import did_web
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.jsonld.loader import DocumentLoader

#: the deployment's own signing key in the key store (created by ``badge-issuer init``)
DEPLOYMENT_KEY = "dev"


@dataclass(frozen=True)
class Services:
    """Everything a request handler needs; nothing here is a module global."""

    settings: Settings
    clock: Clock
    loader: DocumentLoader
    keystore: KeyStore
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def canon(self) -> CanonOptions:
        return CanonOptions(loader=self.loader, work_factor=self.settings.canon_work_factor)

    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    @property
    def deployment_did(self) -> str:
        """``did:web`` of the service's host, served at ``/.well-known/did.json``."""
        parts = urlsplit(self.base_url)
        path = [segment for segment in parts.path.split("/") if segment]
        return did_web(f"{parts.scheme}://{parts.netloc}", *path)
