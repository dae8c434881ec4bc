"""The database tables (SQLAlchemy 2.0 declarative). Alembic migrations create them.

Signed credentials are stored as the exact JSON text that was signed, so what we serve later is
byte for byte what we issued.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite keeps naive text: store and read it as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Issuer(Base):
    __tablename__ = "issuers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    did: Mapped[str] = mapped_column(String(512), unique=True)
    did_method: Mapped[str] = mapped_column(String(8))  # "web" | "key"
    profile_json: Mapped[str] = mapped_column(Text)  # the Profile without id/type
    suspension_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssuerKey(Base):
    __tablename__ = "issuer_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    key_name: Mapped[str] = mapped_column(String(64), unique=True)  # name in the key store
    public_key_multibase: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public part of the API key
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the secret part
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Achievement(Base):
    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("issuer_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AchievementVersion(Base):
    __tablename__ = "achievement_versions"
    __table_args__ = (UniqueConstraint("achievement_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document_json: Mapped[str] = mapped_column(Text)  # the Achievement as published
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredImage(Base):
    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the bytes
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Credential(Base):
    """One issuance record."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key"),
        UniqueConstraint("issuer_id", "credential_uri", name="uq_credentials_issuer_credential_uri"),
        Index("ix_credentials_issuer_created", "issuer_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID, last segment of the URL
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    # None for a credential a client supplied through the VC-API (not made from a badge class)
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    achievement_version_id: Mapped[int | None] = mapped_column(ForeignKey("achievement_versions.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), nullable=True)
    credential_json: Mapped[str] = mapped_column(Text)  # exactly as signed
    # keyed hash of the recipient's identifier; None when a supplied credential names no subject id
    recipient_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    recipient_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    #: a supplied credential's own ``id`` (or VC-API ``options.credentialId``): how callers name it
    credential_uri: Mapped[str | None] = mapped_column(String(512), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusList(Base):
    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("issuer_id", "purpose", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # "revocation" | "suspension"
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … per issuer and purpose
    size: Mapped[int] = mapped_column(Integer)  # entries
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every bit change
    signed_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # cached list credential
    signed_revision: Mapped[int] = mapped_column(Integer, default=-1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusEntry(Base):
    __tablename__ = "status_entries"
    __table_args__ = (UniqueConstraint("list_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    position: Mapped[int] = mapped_column(Integer)
    #: None while the award it was taken for is being signed, and for ever if that award never
    #: landed (a burnt position: its bit stays 0 and it is never handed out again)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)


class IdempotencyReservation(Base):
    """An Idempotency-Key whose award is being signed (between the two short write transactions).

    Deleted in the transaction that stores the award; one left behind by a crash is taken over by
    a retry once ``taken_at`` is older than the lease.
    """

    __tablename__ = "idempotency_reservations"
    __table_args__ = (UniqueConstraint("client_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusEvent(Base):
    """Audit trail of revoke / suspend / unsuspend: who, when, why (never published)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthClient(Base):
    """A wallet or backpack registered through OAuth 2.0 Dynamic Client Registration (RFC 7591)."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the client_id
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the client_secret
    client_name: Mapped[str] = mapped_column(String(200))
    #: the registered metadata (RFC 7591 §2) as JSON: URIs, redirect_uris, scope, software_id, …
    metadata_json: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthCode(Base):
    """An authorization code (single use; ``used_at`` marks it spent)."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    learner: Mapped[str] = mapped_column(String(128))  # the learner's keyed recipient hash
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OAuthToken(Base):
    """An access token and its refresh token, stored as hashes."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: the authorization code the token came from (directly or by refreshes): reusing that code
    #: revokes every token of the family
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refresh_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OAuthConsent(Base):
    """Scopes a learner granted a client; remembered until withdrawn on the connected-apps page."""

    __tablename__ = "oauth_consents"
    __table_args__ = (UniqueConstraint("client_id", "learner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LearnerSignIn(Base):
    """A one-time code sent by email to prove control of an address (the address is not stored)."""

    __tablename__ = "learner_sign_ins"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the sign-in id
    learner: Mapped[str] = mapped_column(String(128), index=True)  # keyed hash of the address
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LearnerSession(Base):
    """A browser session of a learner who proved an address (the cookie value is stored hashed)."""

    __tablename__ = "learner_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LearnerCredential(Base):
    """A credential a learner's wallet stored here (OB API upsert), kept exactly as sent."""

    __tablename__ = "learner_credentials"
    __table_args__ = (UniqueConstraint("learner", "issuer_key", "credential_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID
    learner: Mapped[str] = mapped_column(String(128), index=True)
    #: the equality of OB 3.0: issuer.id and id, percent-decoded and trimmed
    issuer_key: Mapped[str] = mapped_column(String(512))
    credential_key: Mapped[str] = mapped_column(String(512))
    format: Mapped[str] = mapped_column(String(8))  # "json" | "jwt"
    body: Mapped[str] = mapped_column(Text)  # the JSON or the compact JWS, as sent
    #: validFrom (issuanceDate): "issued at" for ``since``, and the newer one replaces
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LearnerProfile(Base):
    """The Profile a learner's wallet put (OB API ``PUT /profile``)."""

    __tablename__ = "learner_profiles"

    learner: Mapped[str] = mapped_column(String(128), primary_key=True)
    profile_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Claim(Base):
    """An award's claim link: only the SHA-256 of its secret is kept."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClaimOffer(Base):
    """One OpenID4VCI pre-authorized offer of a claim; its code, tx_code and token stored hashed."""

    __tablename__ = "claim_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the offer's by-reference name (``credential_offer_uri``); the code derives from it
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WalletNonce(Base):
    """A ``c_nonce`` the credential endpoint will accept once, until it expires."""

    __tablename__ = "wallet_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Delivery(Base):
    """An award signed afresh for a wallet's DID (``credentialSubject.id``); one per award and DID."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("credential_id", "holder_hash", name="uq_deliveries_credential_holder"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    holder_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the DID
    holder_did: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))  # "openid4vci" | "vc-api"
    credential_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClaimExchange(Base):
    """A VC-API exchange of a claim: DID Authentication, then the award for that DID; once."""

    __tablename__ = "claim_exchanges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    exchange_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the URL's id
    challenge: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    holder_did: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssuanceJob(Base):
    """A bulk issuance job: rows awarded one by one by a runner holding the job's lease."""

    __tablename__ = "issuance_jobs"
    __table_args__ = (Index("ix_issuance_jobs_status_lease", "status", "lease_until"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), nullable=True)
    #: the request path its rows' idempotency hashes are scoped by (as if each row were issued alone)
    scope: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | cancelled
    total: Mapped[int] = mapped_column(Integer)
    #: the runner holding the job and until when (it renews the lease as it goes)
    runner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Pathway(Base):
    """A pathway of an issuer: requirements that, once met, award a target achievement."""

    __tablename__ = "pathways"
    __table_args__ = (UniqueConstraint("issuer_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssuanceJobRow(Base):
    __tablename__ = "issuance_job_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "row_number"),
        Index("ix_issuance_job_rows_job_state", "job_id", "state", "row_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("issuance_jobs.id"))
    row_number: Mapped[int] = mapped_column(Integer)  # 1-based line of the submitted file
    idempotency_key: Mapped[str] = mapped_column(String(255))
    item_json: Mapped[str] = mapped_column(Text)  # the row as a batch item
    state: Mapped[str] = mapped_column(String(16))  # pending | created | replayed | rejected
    credential_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    problem_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class PathwayVersion(Base):
    __tablename__ = "pathway_versions"
    __table_args__ = (UniqueConstraint("pathway_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document_json: Mapped[str] = mapped_column(Text)  # the definition as published
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PathwayAward(Base):
    """The one automatic award of a pathway to a learner: claimed first (one row per pathway and
    recipient), then issued under the claim's deterministic idempotency key."""

    __tablename__ = "pathway_awards"
    __table_args__ = (UniqueConstraint("pathway_id", "recipient_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id"), index=True)
    pathway_version: Mapped[int] = mapped_column(Integer)
    recipient_hash: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    #: the credential ids that completed it (JSON list)
    evidence_json: Mapped[str] = mapped_column(Text)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExternalBadge(Base):
    """A badge of another issuer a learner submitted toward this issuer's pathways (verified at
    submission, verified again whenever it would count)."""

    __tablename__ = "external_badges"
    __table_args__ = (UniqueConstraint("issuer_id", "recipient_hash", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    recipient_hash: Mapped[str] = mapped_column(String(128), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    credential_json: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WalletIssuerState(Base):
    """The ``issuer_state`` of a claim's OpenID4VCI offer (authorization code grant), stored hashed:
    the claim an authorization request comes back for, until a code is issued with it or it expires."""

    __tablename__ = "wallet_issuer_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WalletAuthorization(Base):
    """An OpenID4VCI authorization code grant: a signed-in learner's approval for a wallet (a
    registered OAuth client), its single-use code and the access token it became, bound to that
    learner and to the awards granted (their ids, per credential configuration)."""

    __tablename__ = "wallet_authorizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    learner: Mapped[str] = mapped_column(String(128))  # the keyed recipient hash
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(128))  # PKCE, S256 only
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: what was granted (JSON):
    #: [{"configuration": slug, "credentials": [record ids], "by": "details" | "scope"}]
    granted_json: Mapped[str] = mapped_column(Text)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: set when the code came back a second time: the access token it gave is void
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClaimCodeMail(Base):
    """A request to email a claim's offer a transaction code (to the right address or not): counted
    to bound how many codes, and address guesses, a claim gets."""

    __tablename__ = "claim_code_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WalletNotification(Base):
    """An OpenID4VCI ``notification_id`` given with a credential response (stored hashed), bound to
    the access token it was given to, and the last event the wallet reported for that delivery."""

    __tablename__ = "wallet_notifications"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64))
    #: credential_accepted | credential_failure | credential_deleted (None: not told yet)
    event: Mapped[str | None] = mapped_column(String(32), nullable=True)
    event_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WalletPushedRequest(Base):
    """A pushed authorization request (RFC 9126) of a wallet: its parameters, named by a
    ``request_uri`` (stored hashed) until it expires or a code was issued for it."""

    __tablename__ = "wallet_pushed_requests"

    request_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    #: the authorization request's parameters, as [[name, value], …]
    params_json: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
