"""Settings, read from the environment with the ``BADGE_`` prefix. No instance is created here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from limits import parse
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_PEPPER = "dev-only-recipient-pepper"


class Settings(BaseSettings):
    """Everything configurable. Build one with ``Settings()`` (reads the environment) and pass it on."""

    model_config = SettingsConfigDict(env_prefix="BADGE_", env_file=None, extra="ignore")

    #: "dev" allows the conveniences below; anything else refuses them
    environment: str = "dev"
    #: public base URL of this service; ids, DIDs and links are derived from it
    base_url: str = "http://127.0.0.1:8000"
    #: SQLAlchemy URL; SQLite (WAL) is the embedded default, PostgreSQL is supported
    database_url: str = "sqlite:///var/badge_issuer.sqlite3"
    #: folder holding Ed25519 private keys (PKCS#8 PEM)
    keys_dir: Path = Path("keys")
    #: the key store key of the deployment's own did:web (``/.well-known/did.json``); "dev" is
    #: the development key ``badge-issuer init`` creates, refused in production
    deployment_key: str = "dev"
    #: encrypts key files when set
    key_passphrase: SecretStr | None = None
    #: JSON Schemas folder; None = the copy shipped with the package / repository
    schemas_dir: Path | None = None
    #: largest request body accepted, in bytes
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    #: RDFC-1.0 work bound: Hash N-Degree Quads calls allowed per blank node
    canon_work_factor: int = Field(default=4, ge=1)
    #: JSON-LD work bounds, checked before any JSON-LD processing (see ``jsonld/bounds.py``)
    jsonld_max_objects: int = Field(default=5_000, gt=0)
    jsonld_max_blank_nodes: int = Field(default=2_000, gt=0)
    jsonld_max_values: int = Field(default=40_000, gt=0)
    #: pyld's duplicate checks: each value against the distinct values already on its node's property
    jsonld_max_duplicate_checks: int = Field(default=100_000, gt=0)
    #: CPU seconds (of the verifying thread) one verification may use before it ends as "too complex"
    #: (0: no budget)
    verify_cpu_budget_seconds: float = Field(default=3.0, ge=0)
    #: CPU seconds all the items of one ``verify:batch`` may use together; items not verified
    #: within it end as "too complex" (0: none)
    verify_batch_cpu_budget_seconds: float = Field(default=10.0, ge=0)
    #: worker processes for heavy verifications (0: every verification runs in the serving process)
    verify_workers: int = Field(default=2, ge=0, le=64)
    #: heavy verifications that may wait for a worker; past that they are refused with 503
    verify_queue: int = Field(default=4, ge=0)
    #: how much lower the workers' CPU priority is than the serving process's (POSIX nice, 0-19)
    verify_worker_nice: int = Field(default=10, ge=0, le=19)
    #: presented bytes over which a verification is heavy (run by a worker process)
    verify_heavy_bytes: int = Field(default=64 * 1024, gt=0)
    #: JSON objects over which a verification is heavy (and 10x that many values or duplicate checks)
    verify_heavy_objects: int = Field(default=300, gt=0)
    #: public verify routes: requests per client IP, as "N/second|minute|hour|day" (empty: no limit)
    verify_rate_limit: str = "60/minute"
    #: badge pages: verifications (views whose verdict is not kept from a minute ago) per client IP
    page_verify_rate_limit: str = "300/minute"
    #: tolerated clock skew, in seconds, when checking validity dates
    clock_skew_seconds: int = Field(default=300, ge=0)
    #: development only: let outbound fetches reach loopback / private addresses
    allow_private_fetch: bool = False
    #: outbound fetches (did:web, key documents, status lists, credential URLs): total time allowed, seconds
    fetch_timeout_seconds: float = Field(default=5.0, gt=0)
    #: outbound fetches: time allowed to connect, seconds
    fetch_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    #: outbound fetches: largest response body read, in bytes
    fetch_max_bytes: int = Field(default=512 * 1024, gt=0)
    #: outbound fetches: how long a fetched document is reused, seconds (0 disables the cache)
    fetch_cache_ttl_seconds: float = Field(default=300.0, ge=0)
    #: outbound fetches: a PEM file of extra CA certificates trusted besides the system's (a private PKI)
    fetch_ca_bundle: Path | None = None
    #: verification: load JSON-LD contexts we do not pin from public https hosts (reported as a warning)
    remote_contexts: bool = True
    #: remote contexts: hosts they may come from (a host also allows its subdomains); empty = any host
    remote_context_allow: Annotated[tuple[str, ...], NoDecode] = ()
    #: remote contexts: hosts they never come from (a host also covers its subdomains)
    remote_context_deny: Annotated[tuple[str, ...], NoDecode] = ()
    #: remote contexts: most unpinned contexts one credential may use (nested ones included)
    remote_context_max: int = Field(default=4, ge=1, le=20)
    #: remote contexts: largest context document accepted, in bytes
    remote_context_max_bytes: int = Field(default=64 * 1024, gt=0)
    #: addresses of reverse proxies trusted for X-Forwarded-For/-Proto (comma-separated; "*": any)
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ("127.0.0.1",)
    #: origins whose pages may call the API-key routes (comma-separated); public routes allow any origin
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    #: keep the recipient's plain email in issuance records (off: only a keyed hash is stored)
    store_recipient_email: bool = False
    #: HMAC key for the recipient lookup hash in records; must be changed outside dev
    recipient_pepper: SecretStr = SecretStr(DEV_PEPPER)
    #: how long an award's claim link stays usable, in days
    claim_ttl_days: int = Field(default=180, ge=1, le=3650)
    #: email each new award's claim link to its recipient (an email address; needs BADGE_SMTP_HOST)
    claim_email: bool = False
    #: how long a claim page's OpenID4VCI offer (its pre-authorized code) may be redeemed, in seconds
    wallet_offer_ttl_seconds: int = Field(default=600, ge=30, le=86_400)
    #: OpenID4VCI offers ask for a 6-digit transaction code
    wallet_tx_code: bool = False
    #: where the learner gets it: shown on the claim page, or emailed (the learner gives the address
    #: the badge was awarded to on the claim page; needs BADGE_SMTP_HOST)
    wallet_tx_code_channel: Literal["page", "email"] = "page"
    #: lifetime of an OpenID4VCI access token and of a c_nonce, in seconds
    wallet_token_ttl_seconds: int = Field(default=600, ge=30, le=86_400)
    wallet_nonce_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    #: how old (or how far ahead) a wallet's key proof ``iat`` may be, in seconds
    wallet_proof_max_age_seconds: int = Field(default=300, ge=10, le=3600)
    #: entries per Bitstring Status List (the spec's minimum is 131,072)
    status_list_size: int = Field(default=131_072, ge=131_072)
    #: single awards of one badge class that arrive while another is being issued wait for it and are
    #: then issued together, at most this many at once (a statement per step for them all instead
    #: of a dozen each); 1 issues every award alone
    issue_group_max: int = Field(default=16, ge=1, le=256)
    #: how long an API key's row, once read, is used without reading it again, seconds (0: read on
    #: every request); a key revoked in another process stops working within this time
    api_key_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    #: once started, freeze what starting made so full garbage collections skip it (``heap.py``)
    gc_freeze: bool = True
    #: how long verifiers may cache a status list credential, in seconds
    status_list_ttl_seconds: int = Field(default=300, ge=0)

    #: Open Badges API: requests per client IP on client registration and learner sign-in (which
    #: sends email), as "N/second|minute|hour|day" (empty: no limit)
    oauth_rate_limit: str = "20/minute"
    #: Open Badges API (OAuth 2.0): lifetime of an access token, seconds (the spec recommends 3600)
    oauth_access_token_seconds: int = Field(default=3600, gt=0, le=86_400)
    #: Open Badges API (OAuth 2.0): lifetime of a refresh token, seconds (each refresh rotates it)
    oauth_refresh_token_seconds: int = Field(default=30 * 86_400, gt=0)
    #: the service's name, terms of service and privacy policy, published in the OB discovery
    #: document and shown to learners (default: the base URL)
    service_name: str = "badge_issuer"
    terms_url: str | None = None
    privacy_url: str | None = None
    #: learner sign-in: how long an emailed one-time code works, seconds, and how many tries it allows
    sign_in_code_seconds: int = Field(default=600, gt=0, le=3600)
    sign_in_code_attempts: int = Field(default=5, ge=1, le=20)
    #: learner sign-in: how long a signed-in learner's browser session lasts, seconds
    learner_session_seconds: int = Field(default=3600, gt=0)
    #: outgoing mail (learner sign-in codes): SMTP server; unset = sign-in by email is unavailable
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0, lt=65_536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: "starttls" (upgrade a plain connection), "tls" (implicit TLS) or "none" (loopback/test relays)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str = "badges@localhost"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    #: worker processes `badge-issuer serve` starts (uvicorn workers); each serves every route
    web_concurrency: int = Field(default=1, ge=1, le=64)
    #: bulk jobs: how long a runner holds a job without renewing; a dead runner's job resumes after it
    job_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    #: where bulk jobs run: "auto" = procrastinate workers on PostgreSQL (`badge-issuer worker`,
    #: and the serving process's own, see job_inline_worker), the in-process lease runner on SQLite;
    #: "thread" = the lease runner on either database
    job_queue: Literal["auto", "thread"] = "auto"
    #: rows per procrastinate task: a job's chunks run in parallel on every worker
    job_chunk_rows: int = Field(default=500, ge=1, le=10_000)
    #: PostgreSQL: the serving process also runs a procrastinate worker, so a single deployment
    #: (`make serve`) completes jobs without `badge-issuer worker`
    job_inline_worker: bool = True
    #: processes that build and sign a batch of a job's awards (0: the runner's own process does);
    #: on SQLite, whose one runner per process cannot scale out, 2 puts both cores of a 2-core host
    #: to that work
    job_sign_processes: int = Field(default=0, ge=0, le=64)
    #: procrastinate workers send a heartbeat this often; one silent for 3 heartbeats is stalled and
    #: its chunks run again on another worker
    job_heartbeat_seconds: float = Field(default=10.0, ge=0.2, le=600)

    #: log lines as JSON objects (one per line) or as text
    log_format: Literal["text", "json"] = "text"
    #: the lowest level logged (DEBUG, INFO, WARNING, ERROR; any case)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _address_list(cls, value: Any) -> Any:
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            return tuple(str(item).strip() for item in items if str(item).strip())
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        """Comma-separated origins (``https://host[:port]``), without trailing slashes."""
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            origins = tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())
            for origin in origins:
                if origin == "*" or not origin.startswith(("https://", "http://")):
                    raise ValueError(
                        f"BADGE_CORS_ORIGINS: {origin!r} is not an origin like https://lms.example"
                    )
            return origins
        return value

    @field_validator("remote_context_allow", "remote_context_deny", mode="before")
    @classmethod
    def _host_list(cls, value: Any) -> Any:
        """A comma-separated string (as in the environment) or a sequence of host names, lower-cased."""
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            return tuple(str(item).strip().lower().strip(".") for item in items if str(item).strip())
        return value

    @field_validator("verify_rate_limit", "page_verify_rate_limit", "oauth_rate_limit")
    @classmethod
    def _readable_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        if value.strip().lower() not in ("", "off", "none", "0"):
            try:
                parse(value)
            except ValueError as exc:
                name = f"BADGE_{(info.field_name or '').upper()}"
                raise ValueError(f"{name} {value!r} is not like '60/minute'") from exc
        return value

    @model_validator(mode="after")
    def _no_dev_secrets_outside_dev(self) -> Settings:
        if self.environment != "dev":
            if self.recipient_pepper.get_secret_value() == DEV_PEPPER:
                raise ValueError("BADGE_RECIPIENT_PEPPER must be set outside the dev environment")
            if self.allow_private_fetch:
                raise ValueError("BADGE_ALLOW_PRIVATE_FETCH is a development setting only")
        return self
