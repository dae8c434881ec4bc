"""OpenID4VCI 1.0: metadata, the pre-authorized code's token, nonce and credential use cases (the
authorization code grant's authorization and token steps are ``wallet_authorizing``).

Each step is its own short transaction; whatever must happen once (redeeming a code, spending a
nonce) is decided by one conditional write (``db.claims``). The credential is signed outside any
write transaction (reading the award and the issuer's key first), then recorded as a delivery of
the award; a delivery for the same award and DID already there is answered instead (claiming
twice with one wallet is idempotent, and two racing requests store one delivery).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from badge_issuer.application import wallet_tokens
from badge_issuer.application.discovery import REGISTER_PATH
from badge_issuer.application.services import Services
from badge_issuer.application.wallet_notifying import new_notification
from badge_issuer.crypto.resolver import SourceResolver, WebControllers
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.claims import ClaimRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Delivery
from badge_issuer.errors import StateConflict, WalletProtocolError
from badge_issuer.issuance import stored_json
from badge_issuer.net.fetch import fetch_budget
from badge_issuer.observability.logs import audit
from badge_issuer.wallet import metadata, secrets
from badge_issuer.wallet.awards import achievement_slug, refusal
from badge_issuer.wallet.delivery import bind_to_holder
from badge_issuer.wallet.key_proof import verify_key_proof

MAX_TX_CODE_ATTEMPTS = 5
#: uncached fetches one key proof may cause (a did:web holder's DID document)
MAX_DID_FETCHES = 1


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


def issuer_metadata(services: Services, slug: str) -> dict[str, Any]:
    with services.readers() as session:
        issuer = IssuerRepository(session).by_slug(slug)
        achievements = AchievementRepository(session)
        documents = [
            (row.slug, json.loads(achievements.version(row).document_json))
            for row in achievements.list(issuer.id)
        ]
        stored = json.loads(issuer.profile_json)
    image = stored.get("image")
    return metadata.credential_issuer_metadata(
        services.urls,
        slug,
        issuer_name=str(stored.get("name") or slug),
        issuer_logo=image if isinstance(image, str) and image.startswith(("https://", "http://")) else None,
        achievements=documents,
    )


def authorization_server_metadata(services: Services, slug: str) -> dict[str, Any]:
    with services.readers() as session:
        issuer = IssuerRepository(session).by_slug(slug)  # NotFound for an unknown issuer
        configurations = [row.slug for row in AchievementRepository(session).list(issuer.id)]
    return metadata.authorization_server_metadata(
        services.urls,
        slug,
        registration_endpoint=services.base_url + REGISTER_PATH,
        configuration_ids=configurations,
    )


def redeem_pre_authorized_code(
    services: Services, slug: str, *, code: str | None, tx_code: str | None
) -> AccessToken:
    """The token endpoint: one access token per pre-authorized code, once, before it expires."""
    if not secrets.plausible(code):
        raise WalletProtocolError("invalid_request", "pre-authorized_code is missing")
    now = services.clock()
    pepper = services.issuance.recipient_pepper
    with services.sessions() as session, session.begin():
        claims = ClaimRepository(session)
        found = claims.offer_by_code(secrets.digest(str(code)))
        if found is None:
            raise WalletProtocolError("invalid_grant", "the pre-authorized code is unknown, used or expired")
        offer, claim, record = found
        issuer_slug = IssuerRepository(session).by_id(record.issuer_id).slug
        if (
            issuer_slug != slug
            or offer.redeemed_at is not None
            or offer.expires_at <= now
            or claim.expires_at <= now
        ):
            raise WalletProtocolError("invalid_grant", "the pre-authorized code is unknown, used or expired")
        if offer.tx_code_hash is None and tx_code is not None:
            raise WalletProtocolError("invalid_request", "this offer asks for no tx_code")
        if offer.tx_code_hash is not None:
            if tx_code is None:
                raise WalletProtocolError("invalid_request", "this offer needs its tx_code")
            if offer.failed_attempts >= MAX_TX_CODE_ATTEMPTS:
                raise WalletProtocolError("invalid_grant", "too many wrong tx_code values: the offer is void")
            if not secrets.plausible(tx_code) or secrets.keyed_digest(pepper, tx_code) != offer.tx_code_hash:
                failures = claims.count_failure(offer.id)
                session.commit()
                raise WalletProtocolError(
                    "invalid_grant",
                    f"wrong tx_code ({MAX_TX_CODE_ATTEMPTS - failures} attempt(s) left)",
                )
        token = secrets.new_secret()
        lifetime = services.settings.wallet_token_ttl_seconds
        if not claims.redeem(
            offer.id,
            now=now,
            token_hash=secrets.digest(token),
            token_expires=now + timedelta(seconds=lifetime),
        ):
            raise WalletProtocolError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    return AccessToken(token=token, expires_in=lifetime)


def new_nonce(services: Services) -> str:
    now = services.clock()
    nonce = secrets.new_secret()
    with services.sessions() as session, session.begin():
        ClaimRepository(session).add_nonce(
            secrets.digest(nonce), now + timedelta(seconds=services.settings.wallet_nonce_ttl_seconds), now
        )
    return nonce


def issue_to_wallet(services: Services, slug: str, *, access_token: str | None, body: Any) -> dict[str, Any]:
    """The credential endpoint: verify the key proof, then deliver the award bound to its DID.

    A pre-authorized code's token delivers its offer's award; an authorization code's token
    delivers the award the request names (``credential_identifier``, or the configuration a
    ``scope`` granted), and only if it was made to the learner who authorized the wallet.
    """
    now = services.clock()
    if not secrets.plausible(access_token):
        raise WalletProtocolError("invalid_token", "a Bearer access token from the token endpoint is needed")
    token = str(access_token)
    with services.readers() as session:
        found = ClaimRepository(session).by_access_token(secrets.digest(token))
        if found is not None:
            offer, claim, record = found
            issuer = IssuerRepository(session).by_id(record.issuer_id)
            configuration_id = achievement_slug(session, record)
    client_id: str | None = None
    if found is None:
        granted = wallet_tokens.authorized(services, slug, token)
        if granted is None:
            raise WalletProtocolError("invalid_token", "the access token is unknown or has expired")
        identifier, asked_configuration, jwt = _credential_request(body)
        record_id = _authorized_award(granted, identifier, asked_configuration)
        refused = wallet_tokens.learners_award(services, slug, granted.learner, record_id)
        client_id = granted.client_id
    else:
        if (
            issuer.slug != slug
            or offer.access_expires_at is None
            or offer.access_expires_at <= now
            or claim.expires_at <= now
        ):
            raise WalletProtocolError("invalid_token", "the access token is unknown or has expired")
        identifier, asked_configuration, jwt = _credential_request(body)
        if identifier is not None:
            raise WalletProtocolError(
                "unknown_credential_identifier", "no credential identifiers were issued with this token"
            )
        if asked_configuration != configuration_id:
            raise WalletProtocolError(
                "unknown_credential_configuration",
                "credential_configuration_id must name the configuration of the offer",
            )
        record_id, refused = record.id, refusal(record)
    if refused is not None:
        raise WalletProtocolError("credential_request_denied", refused)
    with fetch_budget(MAX_DID_FETCHES):  # a did:web holder: its DID document, nothing more
        proven = verify_key_proof(
            jwt,
            audience=metadata.issuer_identifier(services.urls, slug),
            now=now,
            max_age_seconds=services.settings.wallet_proof_max_age_seconds,
            client_id=client_id,
            resolver=SourceResolver(WebControllers(services.fetcher)),
        )
    with services.sessions() as session, session.begin():
        if not ClaimRepository(session).spend_nonce(secrets.digest(proven.nonce), now):
            raise WalletProtocolError("invalid_nonce", "the c_nonce is unknown, spent or expired")
    try:
        credential = deliver(
            services, record_id=record_id, holder_did=proven.holder_did, channel="openid4vci"
        )
    except StateConflict as exc:  # the award is someone's by another id already
        raise WalletProtocolError("credential_request_denied", exc.message) from None
    notification_id = new_notification(
        services, record_id=record_id, holder_did=proven.holder_did, access_token=token
    )
    return {"credentials": [{"credential": credential}], "notification_id": notification_id}


def _authorized_award(
    granted: wallet_tokens.Authorized, identifier: str | None, configuration: str | None
) -> str:
    if identifier is not None:
        if identifier not in granted.identifiers:
            raise WalletProtocolError(
                "unknown_credential_identifier", "credential_identifier is not one the token response gave"
            )
        return granted.identifiers[identifier]
    if configuration not in granted.configurations:
        if granted.identifiers:
            raise WalletProtocolError(
                "invalid_credential_request",
                "use a credential_identifier from the token response's authorization_details",
            )
        raise WalletProtocolError(
            "unknown_credential_configuration", "credential_configuration_id was not granted to this token"
        )
    return granted.configurations[str(configuration)]


def deliver(services: Services, *, record_id: str, holder_did: str, channel: str) -> dict[str, Any]:
    """The award bound to ``holder_did``: the delivery already made, or a new one signed now."""
    holder_hash = secrets.digest(holder_did)
    with services.readers() as session:
        claims = ClaimRepository(session)
        earlier = claims.delivery(record_id, holder_hash)
        if earlier is not None:
            return dict(json.loads(earlier.credential_json))
        record = CredentialRepository(session).get(record_id)
        issuer = IssuerRepository(session).by_id(record.issuer_id)
        signer = services.signer_for(session, issuer)
        award = json.loads(record.credential_json)
    now = services.clock()
    signed = bind_to_holder(
        award, holder_did, signer=signer, canon=services.canon, schemas=services.schemas, now=now
    )
    try:
        with services.sessions() as session, session.begin():
            ClaimRepository(session).add_delivery(
                Delivery(
                    credential_id=record_id,
                    holder_hash=holder_hash,
                    holder_did=holder_did,
                    channel=channel,
                    credential_json=stored_json(signed),
                    created_at=now,
                )
            )
    except IntegrityError:  # a concurrent request delivered it first: answer with that one
        with services.readers() as session:
            raced = ClaimRepository(session).delivery(record_id, holder_hash)
        if raced is None:
            raise
        return dict(json.loads(raced.credential_json))
    audit("credential.delivered", actor="wallet", issuer=issuer.slug, credential=record_id, channel=channel)
    return signed


def _credential_request(body: Any) -> tuple[str | None, str | None, str]:
    """(credential_identifier, credential_configuration_id, the one jwt key proof) of a request."""
    if not isinstance(body, dict):
        raise WalletProtocolError(
            "invalid_credential_request", "the credential request must be a JSON object"
        )
    if "credential_response_encryption" in body:
        raise WalletProtocolError(
            "invalid_encryption_parameters", "credential response encryption is not supported"
        )
    identifier, configuration = body.get("credential_identifier"), body.get("credential_configuration_id")
    if (identifier is None) == (configuration is None):
        raise WalletProtocolError(
            "invalid_credential_request",
            "exactly one of credential_identifier and credential_configuration_id is needed",
        )
    if not isinstance(identifier or configuration, str):
        raise WalletProtocolError("invalid_credential_request", "the credential is named by a string")
    proofs = body.get("proofs")
    if "proof" in body or not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise WalletProtocolError("invalid_credential_request", 'proofs must be {"jwt": [one key proof]}')
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or len(jwts) != 1:
        raise WalletProtocolError(
            "invalid_credential_request", "exactly one jwt key proof (no batch issuance)"
        )
    return identifier, configuration, str(jwts[0]) if isinstance(jwts[0], str) else ""
