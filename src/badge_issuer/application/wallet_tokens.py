"""OpenID4VCI authorization code grant, after the learner's consent: the token endpoint redeems a
code (the wallet authenticated with ``client_secret_basic``, the same ``redirect_uri``, the PKCE
``code_verifier``) for an access token bound to the learner, and the credential and notification
endpoints ask what that token allows. A code is single use: presenting it again voids the token it
gave (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote_plus

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.wallet_authorizations import WalletAuthorizationRepository
from badge_issuer.errors import NotFound, WalletProtocolError
from badge_issuer.oauth.secrets import same_digest
from badge_issuer.observability.logs import audit
from badge_issuer.wallet import metadata, secrets
from badge_issuer.wallet.authorization import parse_details, pkce_matches
from badge_issuer.wallet.awards import refusal


@dataclass(frozen=True)
class Authorized:
    """What the credential endpoint may deliver for an authorization code access token."""

    client_id: str
    learner: str
    #: credential_identifier → award id (configurations granted by authorization_details)
    identifiers: dict[str, str]
    #: credential_configuration_id → award id (configurations granted by scope: the newest award)
    configurations: dict[str, str]


def authenticated_client(authorization: str | None, session: Session) -> str:
    """The client_id a ``client_secret_basic`` Authorization header proves (RFC 6749 §2.3.1)."""
    scheme, _, encoded = (authorization or "").partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        decoded = ""
    client_id, colon, secret = decoded.partition(":")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # form-urlencoded (§2.3.1)
    client = WalletAuthorizationRepository(session).client(client_id) if client_id else None
    if (
        scheme.lower() != "basic"
        or not colon
        or client is None
        or not same_digest(secret, client.secret_hash)
    ):
        raise WalletProtocolError("invalid_client", "the wallet must authenticate with client_secret_basic")
    return client_id


def redeem_code(
    services: Services, slug: str, *, form: dict[str, str], authorization: str | None
) -> dict[str, Any]:
    """The token endpoint's authorization_code grant: the token response (RFC 6749 §5.1)."""
    now = services.clock()
    code = form.get("code", "")
    token = secrets.new_secret()
    lifetime = services.settings.wallet_token_ttl_seconds
    with services.sessions() as session, session.begin():
        issuer = IssuerRepository(session).by_slug(slug)
        client_id = authenticated_client(authorization, session)
        repository = WalletAuthorizationRepository(session)
        row = repository.by_code(secrets.digest(code)) if secrets.plausible(code) else None
        if row is None or row.issuer_id != issuer.id or row.client_id != client_id:
            raise WalletProtocolError("invalid_grant", "the authorization code is unknown")
        if row.used_at is not None:
            repository.revoke(row.id, now)
            audit("wallet.code_replayed", issuer=slug, client=client_id, learner=row.learner[:12])
            redeemed = False
        else:
            redeemed = True
        if redeemed and row.code_expires_at <= now:
            raise WalletProtocolError("invalid_grant", "the authorization code has expired")
        if redeemed and form.get("redirect_uri") != row.redirect_uri:
            raise WalletProtocolError(
                "invalid_grant", "redirect_uri differs from the authorization request's"
            )
        if redeemed and not pkce_matches(form.get("code_verifier"), row.code_challenge):
            raise WalletProtocolError("invalid_grant", "code_verifier does not match the code_challenge")
        granted: list[dict[str, Any]] = json.loads(row.granted_json)
        if redeemed and "authorization_details" in form:
            granted = _narrowed(services, slug, granted, form["authorization_details"])
        if redeemed and not repository.redeem(
            row.id, now=now, token_hash=secrets.digest(token), token_expires=now + timedelta(seconds=lifetime)
        ):  # a concurrent redemption won: the code came twice, so what it gave is void too
            repository.revoke(row.id, now)
            audit("wallet.code_replayed", issuer=slug, client=client_id, learner=row.learner[:12])
            redeemed = False
        if redeemed and len(granted) != len(json.loads(row.granted_json)):
            row.granted_json = json.dumps(granted)
    if not redeemed:  # committed: the token a replayed code gave is void
        raise WalletProtocolError("invalid_grant", "the authorization code was already used")
    answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
    details = [
        {
            "type": metadata.AUTHORIZATION_DETAILS_TYPE,
            "credential_configuration_id": grant["configuration"],
            "credential_identifiers": grant["credentials"],
        }
        for grant in granted
        if grant["by"] == "details"
    ]
    if details:
        answer["authorization_details"] = details
    scopes = [metadata.scope_of(grant["configuration"]) for grant in granted if grant["by"] == "scope"]
    if scopes:
        answer["scope"] = " ".join(scopes)
    return answer


def _narrowed(services: Services, slug: str, granted: list[dict[str, Any]], raw: str) -> list[dict[str, Any]]:
    """A token request's ``authorization_details``: a subset of what was granted (RFC 9396 §6.1)."""
    configurations = {grant["configuration"] for grant in granted if grant["by"] == "details"}
    try:
        asked = parse_details(raw, metadata.issuer_identifier(services.urls, slug), configurations)
    except ValueError as exc:
        raise WalletProtocolError("invalid_authorization_details", str(exc)) from None
    return [grant for grant in granted if grant["by"] == "scope" or grant["configuration"] in asked]


def authorized(services: Services, slug: str, access_token: str) -> Authorized | None:
    """What an authorization code access token allows (None: not such a token)."""
    now = services.clock()
    with services.readers() as session:
        row = WalletAuthorizationRepository(session).by_access_token(secrets.digest(access_token))
        issuer_id = IssuerRepository(session).by_slug(slug).id if row is not None else None
    if row is None:
        return None
    if (
        row.issuer_id != issuer_id
        or row.revoked_at is not None
        or row.access_expires_at is None
        or row.access_expires_at <= now
    ):
        raise WalletProtocolError("invalid_token", "the access token is unknown, revoked or has expired")
    identifiers: dict[str, str] = {}
    configurations: dict[str, str] = {}
    for grant in json.loads(row.granted_json):
        if grant["by"] == "details":
            identifiers.update({award: award for award in grant["credentials"]})
        else:
            configurations[grant["configuration"]] = grant["credentials"][0]
    return Authorized(row.client_id, row.learner, identifiers, configurations)


def learners_award(services: Services, slug: str, learner: str, record_id: str) -> str | None:
    """Why the award may not go to this learner's wallet now (None: it may)."""
    with services.readers() as session:
        try:
            record = CredentialRepository(session).get(record_id)
        except NotFound:
            return "this award no longer exists"
        issuer = IssuerRepository(session).by_slug(slug)
    if record.issuer_id != issuer.id or record.recipient_hash != learner:
        return "this award was not made to the learner who authorized the wallet"
    return refusal(record)
