"""The composition root: ``build_services(settings)`` builds the one ``Services`` of a process.

``create_app`` and the CLI both start here, so every surface runs the same use cases over the same
collaborators (clock, loader, key store, sessions, fetcher). Logging, metrics and readiness hooks
belong here too: nothing else constructs collaborators.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.application.coalescer import Coalescer
from badge_issuer.application.key_cache import ApiKeyCache
from badge_issuer.application.own_documents import OwnControllers, OwnStatusLists
from badge_issuer.application.verdict_cache import VerdictCache
from badge_issuer.application.verify_pool import VerifyPool
from badge_issuer.checks import VerifyContext
from badge_issuer.checks.status import FetchStatusSource
from badge_issuer.clock import Clock, system_clock
from badge_issuer.config import Settings
from badge_issuer.credential.identity import new_salt
from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.crypto.did import did_web
from badge_issuer.crypto.keys import Signer, public_key_from_multibase
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.db.issuers import IssuerRepository, SigningKey
from badge_issuer.db.session import make_engine, make_sessionmaker, single_read_engine
from badge_issuer.db.tables import Issuer
from badge_issuer.issuance import IssueCommand
from badge_issuer.jsonld.bounds import JsonLdBounds
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.net.fetch import Fetcher
from badge_issuer.observability.metrics import Metrics
from badge_issuer.revocation import StatusSessions
from badge_issuer.signing import IssuanceTools, issuer_verification_method, random_credential_id
from badge_issuer.urls import Urls
from badge_issuer.verification import build_context

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """Everything a use case needs; nothing here is a module global."""

    settings: Settings
    clock: Clock
    loader: DocumentLoader
    keystore: KeyStore
    engine: Engine
    sessions: sessionmaker[Session]
    #: sessions for requests that only read (no write lock on SQLite)
    readers: sessionmaker[Session]
    #: the guarded outbound HTTP client of the verifier (closed by ``close``)
    fetcher: Fetcher
    schemas: SchemaValidator
    #: worker processes for heavy verifications (started by the app's lifespan; closed by ``close``)
    verify_pool: VerifyPool
    #: status list positions (CSPRNG), credential ids and identity-hash salts: injected like the
    #: clock, so a test can pin the exact bytes of an issued credential
    rng: random.Random = field(default_factory=random.SystemRandom)
    new_id: Callable[[], str] = field(default=random_credential_id)
    new_salt: Callable[[], str] = field(default=new_salt)
    #: this instance's Prometheus metrics (its own registry)
    metrics: Metrics = field(default_factory=Metrics)
    #: loaded signers by key name (keys are read from disk once per process)
    _signers: dict[str, Signer] = field(default_factory=dict)
    #: collaborators built on first use (``_once``)
    _built: dict[str, object] = field(default_factory=dict)
    #: guards ``_signers`` and ``_built`` (request threads share them)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def urls(self) -> Urls:
        return Urls.of(self.settings.base_url)

    @property
    def single_reads(self) -> Engine:
        """Connections for one read statement, run outside a transaction (``single_read_engine``):
        an API key's lookup, our own DIDs and status lists during verification."""
        return self._once("single_reads", lambda: single_read_engine(self.engine))

    @property
    def api_keys(self) -> ApiKeyCache:
        """API keys' rows read a moment ago (``key_cache``; BADGE_API_KEY_CACHE_SECONDS)."""
        return self._once("api_keys", lambda: ApiKeyCache(self.settings.api_key_cache_seconds))

    def signer_for(self, session: Session, issuer: Issuer) -> Signer:
        """The issuer's current signing key as a Signer naming its verification method."""
        return self.signer_of(issuer, IssuerRepository(session).signing_key(issuer))

    def signer_of(self, issuer: Issuer, key: SigningKey) -> Signer:
        """``key`` of ``issuer`` (read as its current signing key) as a Signer."""
        with self._lock:
            signer = self._signers.get(key.key_name)
            if signer is None:
                method = issuer_verification_method(issuer, key.public_key_multibase)
                expected = public_key_from_multibase(key.public_key_multibase)
                signer = self.keystore.signer(key.key_name, method, expected_public_key=expected)
                self._signers[key.key_name] = signer
        return signer

    @property
    def issuance(self) -> IssuanceTools:
        """Built once per application (its CSPRNG and URLs do not change between requests)."""
        return self._once("issuance", self._issuance)

    def _issuance(self) -> IssuanceTools:
        return IssuanceTools(
            urls=self.urls,
            clock=self.clock,
            canon=self.canon,
            schemas=self.schemas,
            signer_for=self.signer_for,
            signer_of=self.signer_of,
            recipient_pepper=self.settings.recipient_pepper.get_secret_value().encode(),
            store_recipient_email=self.settings.store_recipient_email,
            status_list_size=self.settings.status_list_size,
            rng=self.rng,
            new_id=self.new_id,
            new_salt=self.new_salt,
            on_status_list_signed=self.metrics.resigned,
        )

    @property
    def verify_context(self) -> VerifyContext:
        """The verification context, built once per application (guarded fetcher, caches)."""
        return self._once("verify_context", self._verify_context)

    @property
    def page_verdicts(self) -> VerdictCache:
        """The badge pages' recent verdicts, one cache per application (``verdict_cache``)."""
        return self._once("page_verdicts", VerdictCache)

    @property
    def award_groups(self) -> Coalescer[IssueCommand, Any]:
        """Concurrent single awards grouped per badge class, one coalescer per application
        (``award_groups``)."""
        return self._once("award_groups", lambda: Coalescer(most=self.settings.issue_group_max))

    def _once(self, name: str, build: Callable[[], T]) -> T:
        """``build()`` the first time ``name`` is asked for, by one thread only (request threads
        share the Services; ``functools.cached_property`` has no lock since Python 3.12)."""
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return cast(T, self._built[name])

    def _verify_context(self) -> VerifyContext:
        fetcher = self.fetcher
        return build_context(
            self.settings,
            loader=self.loader,
            clock=self.clock,
            schemas=self.schemas,
            fetcher=fetcher,
            local=OwnControllers(self.single_reads),
            status=OwnStatusLists(
                StatusSessions(readers=self.readers, writers=self.sessions),
                self.single_reads,
                lambda: self.issuance,
                self.settings.status_list_ttl_seconds,
                FetchStatusSource(fetcher),
            ),
        )

    def close(self) -> None:
        """Stop the verification workers; release the database pool and the outbound HTTP client."""
        self.verify_pool.close()
        self.fetcher.close()
        self.engine.dispose()

    @property
    def canon(self) -> CanonOptions:
        return CanonOptions(
            loader=self.loader,
            work_factor=self.settings.canon_work_factor,
            bounds=JsonLdBounds.from_settings(self.settings),
        )

    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    @property
    def deployment_did(self) -> str:
        """``did:web`` of the service's host, served at ``/.well-known/did.json``."""
        parts = urlsplit(self.base_url)
        path = [segment for segment in parts.path.split("/") if segment]
        return did_web(f"{parts.scheme}://{parts.netloc}", *path)


def build_services(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    rng: random.Random | None = None,
    new_id: Callable[[], str] = random_credential_id,
    new_salt: Callable[[], str] = new_salt,
    key_generator: Callable[[], Ed25519PrivateKey] = Ed25519PrivateKey.generate,
) -> Services:
    """The collaborators of one application instance (the API and the CLI alike).

    Time and randomness are providers with production defaults (system clock, CSPRNG, random
    UUIDs, fresh Ed25519 keys); tests pass fixed ones to make issuance reproducible.
    """
    metrics = Metrics()
    engine = make_engine(settings.database_url)
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    return Services(
        settings=settings,
        clock=clock,
        loader=DocumentLoader.pinned(),
        keystore=KeyStore(settings.keys_dir, passphrase=passphrase, generate=key_generator),
        engine=engine,
        sessions=make_sessionmaker(engine),
        readers=make_sessionmaker(engine, read_only=True),
        fetcher=Fetcher.from_settings(settings, observe=metrics.fetched),
        schemas=SchemaValidator(settings.schemas_dir or default_schemas_dir()),
        # each worker builds its own Services with this function, from the same settings and clock
        verify_pool=VerifyPool(
            settings,
            clock,
            build_services,
            workers=settings.verify_workers,
            queue=settings.verify_queue,
            metrics=metrics,
            retry_after=max(1, math.ceil(settings.verify_cpu_budget_seconds)),
            nice=settings.verify_worker_nice,
        ),
        rng=rng or random.SystemRandom(),
        new_id=new_id,
        new_salt=new_salt,
        metrics=metrics,
    )
