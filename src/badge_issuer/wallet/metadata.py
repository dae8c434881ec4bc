"""OpenID4VCI 1.0 documents of one of our issuers: Credential Issuer Metadata, the Authorization
Server metadata (RFC 8414) of its two grants (pre-authorized code, and authorization code through
the learner's email sign-in), and credential offers carrying both.

Each issuer is its own Credential Issuer: its identifier is its profile URL, ``<base>/issuers/<slug>``,
so its metadata lives at ``/.well-known/openid-credential-issuer/issuers/<slug>`` (the well-known
segment inserted before the identifier's path, OpenID4VCI §12.2.2) and its Authorization Server
metadata at ``/.well-known/oauth-authorization-server/issuers/<slug>`` (RFC 8414 §3). Every
achievement is one credential configuration (its slug, requested by ``authorization_details`` of
type ``openid_credential`` or by its ``scope``, ``openbadge:<slug>``), in the ``ldp_vc`` format: a
VCDM 2.0 OpenBadgeCredential secured with ``eddsa-rdfc-2022``, bound to the wallet's did:key,
did:jwk or did:web.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from badge_issuer.credential.vocab import OB_CONTEXT
from badge_issuer.urls import Urls

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT = "authorization_code"
AUTHORIZATION_DETAILS_TYPE = "openid_credential"
SCOPE_PREFIX = "openbadge:"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_ALGS = ("EdDSA", "ES256")
BINDING_METHODS = ("did:key", "did:jwk", "did:web")


def issuer_identifier(urls: Urls, slug: str) -> str:
    return urls.issuer_profile(slug)


def endpoint(urls: Urls, slug: str, name: str) -> str:
    return f"{issuer_identifier(urls, slug)}/openid4vci/{name}"


def credential_issuer_metadata(
    urls: Urls,
    slug: str,
    *,
    issuer_name: str,
    issuer_logo: str | None,
    achievements: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, Any]:
    """``achievements``: (slug, published Achievement document) of each of the issuer's badges."""
    display: dict[str, Any] = {"name": issuer_name, "locale": "en"}
    if issuer_logo:
        display["logo"] = {"uri": issuer_logo, "alt_text": f"{issuer_name}'s logo"}
    return {
        "credential_issuer": issuer_identifier(urls, slug),
        "credential_endpoint": endpoint(urls, slug, "credential"),
        "nonce_endpoint": endpoint(urls, slug, "nonce"),
        "notification_endpoint": endpoint(urls, slug, "notification"),
        "display": [display],
        "credential_configurations_supported": {
            achievement_slug: configuration(achievement_slug, document)
            for achievement_slug, document in achievements
        },
    }


def scope_of(configuration_id: str) -> str:
    """The OAuth ``scope`` value that asks for the credential configuration ``configuration_id``."""
    return SCOPE_PREFIX + configuration_id


def configuration(configuration_id: str, achievement: Mapping[str, Any]) -> dict[str, Any]:
    name = achievement.get("name") if isinstance(achievement.get("name"), str) else "Open Badge"
    display: dict[str, Any] = {
        "name": name,
        "locale": "en",
        "background_color": "#12355b",
        "text_color": "#ffffff",
    }
    description = achievement.get("description")
    if isinstance(description, str):
        display["description"] = description[:500]
    image = achievement.get("image")
    image_url = image.get("id") if isinstance(image, Mapping) else image
    if isinstance(image_url, str) and image_url.startswith(("https://", "http://")):
        display["logo"] = {"uri": image_url, "alt_text": f"The badge {name}"}
    return {
        "format": "ldp_vc",
        "scope": scope_of(configuration_id),
        "cryptographic_binding_methods_supported": list(BINDING_METHODS),
        "credential_signing_alg_values_supported": [CRYPTOSUITE],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
        "credential_definition": {
            "@context": [VC_V2_CONTEXT, OB_CONTEXT],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
        },
        "credential_metadata": {"display": [display]},
    }


def authorization_server_metadata(
    urls: Urls, slug: str, *, registration_endpoint: str, configuration_ids: Iterable[str]
) -> dict[str, Any]:
    """RFC 8414 metadata: the authorization code grant is for wallets registered at
    ``registration_endpoint`` (RFC 7591, ``client_secret_basic``) with PKCE S256; the
    pre-authorized code grant is anonymous (``none``)."""
    return {
        "issuer": issuer_identifier(urls, slug),
        "authorization_endpoint": endpoint(urls, slug, "authorize"),
        "pushed_authorization_request_endpoint": endpoint(urls, slug, "par"),
        "require_pushed_authorization_requests": False,
        "token_endpoint": endpoint(urls, slug, "token"),
        "registration_endpoint": registration_endpoint,
        "grant_types_supported": [AUTHORIZATION_CODE_GRANT, PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_details_types_supported": [AUTHORIZATION_DETAILS_TYPE],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": [scope_of(configuration_id) for configuration_id in configuration_ids],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
    }


def credential_offer(
    urls: Urls,
    slug: str,
    *,
    configuration_id: str,
    code: str,
    tx_code_description: str | None,
    issuer_state: str,
) -> dict[str, Any]:
    """An offer of both grants; ``tx_code_description`` (None: no tx_code) says where the code is."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code_description is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": 6,
            "description": tx_code_description[:300],
        }
    return {
        "credential_issuer": issuer_identifier(urls, slug),
        "credential_configuration_ids": [configuration_id],
        "grants": {
            AUTHORIZATION_CODE_GRANT: {"issuer_state": issuer_state},
            PRE_AUTHORIZED_GRANT: grant,
        },
    }
