"""The public documents anyone may read without a key: credentials, issuer Profiles and DID
documents, achievement versions, signed status lists, images, and the deployment's DID document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from badge_issuer import images
from badge_issuer.application.services import Services
from badge_issuer.crypto.did import did_key_document, did_web_document
from badge_issuer.crypto.keys import public_key_multibase
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.documents import profile_document, served_achievement
from badge_issuer.errors import NotFound
from badge_issuer.formats import badge_art
from badge_issuer.formats.png import bake_png
from badge_issuer.formats.svg import bake_svg
from badge_issuer.issuers import did_keys
from badge_issuer.revocation import PublishedList, StatusSessions, status_list_credential


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: str


def credential_text(services: Services, credential_id: str) -> str:
    """The credential exactly as signed (its status is in its status list, not here)."""
    with services.readers() as session:
        return CredentialRepository(session).get(credential_id).credential_json


def issuer_profile(services: Services, issuer: str) -> dict[str, Any]:
    with services.readers() as session:
        return profile_document(IssuerRepository(session).by_slug(issuer))


def issuer_did_document(services: Services, issuer: str) -> dict[str, Any]:
    """did:web issuers list every key (current and retired) under ``assertionMethod``."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        if row.did_method == "key":
            return did_key_document(row.did)
        return did_web_document(row.did, did_keys(row, session))


def achievement_document(
    services: Services, issuer: str, achievement: str, version: int | None = None
) -> dict[str, Any]:
    """An achievement version as served on its own (with its contexts)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        item = repo.get(row.id, achievement)
        document = json.loads(repo.version(item, version).document_json)
    return served_achievement(document)


def status_list(services: Services, issuer: str, purpose: str, sequence: int) -> PublishedList:
    """The signed BitstringStatusListCredential (re-signed only when it changed or grows old)."""
    if purpose not in ("revocation", "suspension"):
        raise NotFound(f"no {purpose!r} status lists")
    return status_list_credential(
        StatusSessions(readers=services.readers, writers=services.sessions),
        issuer,
        purpose,
        sequence,
        tools=services.issuance,
        ttl_seconds=services.settings.status_list_ttl_seconds,
    )


def image(services: Services, digest: str) -> Image:
    with services.readers() as session:
        stored = images.load(session, digest)
        return Image(data=stored.data, media_type=stored.media_type)


def baked_badge(services: Services, credential_id: str, kind: Literal["png", "svg"]) -> Image:
    """The credential baked (exactly as signed) into its achievement's image.

    The image is the achievement's own when it is one stored here (a PNG baked as PNG, or wrapped in
    an SVG; an SVG baked as SVG); otherwise — no image, an image of another kind only, or one hosted
    elsewhere, which is never fetched — a badge is drawn from the achievement's name.
    """
    with services.readers() as session:
        text = CredentialRepository(session).get(credential_id).credential_json
        credential = json.loads(text)
        name, issuer, digest = _art_of(credential, services.urls.image(""))
        own: tuple[str | None, bytes] = (None, b"")
        if digest:
            try:
                stored = images.load(session, digest)
                own = (stored.media_type, stored.data)
            except NotFound:  # a URL of ours that names no stored image: draw one instead
                pass
    if kind == "png":
        png = own[1] if own[0] == "image/png" else badge_art.render_png(name, issuer)
        return Image(bake_png(png, text), "image/png")
    if own[0] == "image/svg+xml":
        svg = own[1].decode("utf-8")
    elif own[0] == "image/png":
        svg = badge_art.svg_around_png(own[1], name)
    else:
        svg = badge_art.render_svg(name, issuer)
    return Image(bake_svg(svg, text).encode("utf-8"), "image/svg+xml")


def _art_of(credential: Mapping[str, Any], our_images: str) -> tuple[str, str | None, str | None]:
    """The achievement's name, the issuer's name, and the digest of its image if it is stored here."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    achievement = achievement if isinstance(achievement, Mapping) else {}
    name = achievement.get("name") if isinstance(achievement.get("name"), str) else credential.get("name")
    issuer = credential.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
    image = achievement.get("image")
    url = image.get("id") if isinstance(image, Mapping) else image
    digest = url.removeprefix(our_images) if isinstance(url, str) and url.startswith(our_images) else None
    return (
        name if isinstance(name, str) else "Badge",
        issuer_name if isinstance(issuer_name, str) else None,
        digest,
    )


def deployment_did_document(services: Services) -> dict[str, Any]:
    """The deployment's own ``did:web`` document (its key is ``badge-issuer init``'s)."""
    public_key = services.keystore.public_key(services.settings.deployment_key)
    return did_web_document(services.deployment_did, [(public_key_multibase(public_key), public_key)])
