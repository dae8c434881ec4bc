"""OpenID4VCI 1.0 authorization requests (§5.1) for the authorization code grant, and PKCE.

The request is checked in RFC 6749 §4.1.2.1's order: first the client and its ``redirect_uri``
(an error there is shown to the learner, never sent to an unverified address), then everything
else, whose errors go back to the wallet. PKCE (RFC 7636) is required with ``S256``. What is
asked for is a set of credential configurations, named by ``authorization_details`` of type
``openid_credential`` (RFC 9396) and/or by their ``scope`` values; unknown scope values are
ignored, as §5.1.2 requires, and a configuration named both ways follows the details object.
Signed request objects (RFC 9101) are not supported; a pushed request's ``request_uri`` (RFC 9126)
is resolved by the caller before its parameters come here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from badge_issuer.errors import WalletAuthorizationRefused, WalletProtocolError
from badge_issuer.wallet.metadata import AUTHORIZATION_DETAILS_TYPE, SCOPE_PREFIX

_PKCE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
MAX_PARAMETER_CHARS = 4096
MAX_DETAILS = 10
MAX_STATE_CHARS = 512


@dataclass(frozen=True)
class Requested:
    """One credential configuration asked for, and how (``details`` or ``scope``)."""

    configuration_id: str
    by: str


@dataclass(frozen=True)
class AuthorizationAsk:
    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    requested: tuple[Requested, ...]
    issuer_state: str | None


def parse_request(
    params: Sequence[tuple[str, str]],
    *,
    issuer: str,
    configurations: Collection[str],
    redirect_uris: Callable[[str], Collection[str] | None],
) -> AuthorizationAsk:
    """``redirect_uris(client_id)``: the registered redirect URIs of a client, None if unknown."""
    names = [name for name, _ in params]
    values = dict(params)
    client_id, redirect_uri = values.get("client_id", ""), values.get("redirect_uri", "")
    if names.count("client_id") != 1 or names.count("redirect_uri") != 1:
        raise WalletProtocolError("invalid_request", "client_id and redirect_uri must be given once each")
    registered = redirect_uris(client_id) if 0 < len(client_id) <= 64 else None
    if registered is None:
        raise WalletProtocolError("invalid_client", "this wallet is not registered here (RFC 7591)")
    if redirect_uri not in registered:
        raise WalletProtocolError("invalid_request", "redirect_uri is not one the wallet registered")
    state = values.get("state")

    def refuse(error: str, message: str) -> WalletAuthorizationRefused:
        kept = state if state is not None and len(state) <= MAX_STATE_CHARS else None
        return WalletAuthorizationRefused(error, message, redirect_uri=redirect_uri, state=kept)

    if len(names) != len(set(names)):
        raise refuse("invalid_request", "a parameter is repeated")
    if any(len(value) > MAX_PARAMETER_CHARS for value in values.values()):
        raise refuse("invalid_request", f"a parameter is longer than {MAX_PARAMETER_CHARS} characters")
    if state is not None and len(state) > MAX_STATE_CHARS:
        raise refuse("invalid_request", f"state is longer than {MAX_STATE_CHARS} characters")
    if "request" in values or "request_uri" in values:
        raise refuse("invalid_request", "request objects are not supported; a request_uri is used once")
    if values.get("response_type") != "code":
        raise refuse("unsupported_response_type", "response_type must be code")
    if values.get("response_mode", "query") != "query":
        raise refuse("invalid_request", "only response_mode=query is supported")
    challenge = values.get("code_challenge", "")
    if not _PKCE.fullmatch(challenge) or values.get("code_challenge_method") != "S256":
        raise refuse("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    issuer_state = values.get("issuer_state")
    if issuer_state is not None and not 0 < len(issuer_state) <= 128:
        raise refuse("invalid_request", "issuer_state is unknown, used or expired")
    try:
        detailed = _details(values.get("authorization_details"), issuer, configurations)
    except ValueError as exc:
        raise refuse("invalid_authorization_details", str(exc)) from None
    scoped = [
        value.removeprefix(SCOPE_PREFIX)
        for value in dict.fromkeys(values.get("scope", "").split())
        if value.startswith(SCOPE_PREFIX) and value.removeprefix(SCOPE_PREFIX) in configurations
    ]
    requested = [Requested(configuration, "details") for configuration in detailed]
    requested += [
        Requested(configuration, "scope") for configuration in scoped if configuration not in detailed
    ]
    if not requested:
        if "scope" in values and "authorization_details" not in values:
            raise refuse("invalid_scope", "no scope value names a credential configuration of this issuer")
        raise refuse("invalid_request", "ask for a credential with authorization_details or scope")
    return AuthorizationAsk(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        requested=tuple(requested),
        issuer_state=issuer_state,
    )


def parse_details(raw: str | None, issuer: str, configurations: Collection[str]) -> list[str]:
    """The credential configurations an ``authorization_details`` value names (ValueError: why not)."""
    return _details(raw, issuer, configurations)


def _details(raw: str | None, issuer: str, configurations: Collection[str]) -> list[str]:
    if raw is None:
        return []
    try:
        details: Any = json.loads(raw)
    except ValueError:
        raise ValueError("authorization_details is not JSON") from None
    if not isinstance(details, list) or not 0 < len(details) <= MAX_DETAILS:
        raise ValueError(f"authorization_details must be an array of 1 to {MAX_DETAILS} objects")
    found: list[str] = []
    for detail in details:
        if not isinstance(detail, dict) or detail.get("type") != AUTHORIZATION_DETAILS_TYPE:
            raise ValueError(f"only authorization details of type {AUTHORIZATION_DETAILS_TYPE} are supported")
        configuration = detail.get("credential_configuration_id")
        if not isinstance(configuration, str) or configuration not in configurations:
            raise ValueError("credential_configuration_id names no credential configuration of this issuer")
        locations = detail.get("locations")
        if locations is not None and (not isinstance(locations, list) or issuer not in locations):
            raise ValueError("locations must name this Credential Issuer")
        if configuration not in found:
            found.append(configuration)
    return found


def pkce_matches(verifier: object, challenge: str) -> bool:
    """RFC 7636 §4.6 with S256: BASE64URL(SHA256(code_verifier)) == code_challenge."""
    if not isinstance(verifier, str) or not _PKCE.fullmatch(verifier):
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return hmac.compare_digest(computed.decode("ascii"), challenge)
