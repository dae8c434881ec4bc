"""Badge images uploaded by issuers: PNG or SVG, stored by content hash, served publicly.

SVG is accepted only without DOCTYPE, entities, scripts or event handlers, and is served with a
Content-Security-Policy that forbids scripts, so an uploaded image cannot attack its viewers.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy.orm import Session

from badge_issuer.db.tables import StoredImage
from badge_issuer.errors import InputError, NotFound

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 512 * 1024
_SVG_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.DOTALL)
_SVG_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY|<script|\son[a-z]+\s*=|javascript:|<foreignObject", re.I)


def sniff(data: bytes) -> str:
    """The image's media type; InputError unless it is a PNG or a harmless SVG."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"images are limited to {MAX_IMAGE_BYTES // 1024} KB")
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if _SVG_ROOT.match(data):
        if _SVG_FORBIDDEN.search(data):
            raise InputError("SVG images may not contain DOCTYPE, entities, scripts or event handlers")
        return "image/svg+xml"
    raise InputError("badge images must be PNG or SVG (OB 3.0 Image)")


def store(session: Session, issuer_id: int, data: bytes, now: datetime) -> StoredImage:
    media_type = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    image = session.get(StoredImage, digest)
    if image is None:
        image = StoredImage(id=digest, issuer_id=issuer_id, media_type=media_type, data=data, created_at=now)
        session.add(image)
        session.flush()
    return image


def load(session: Session, digest: str) -> StoredImage:
    image = session.get(StoredImage, digest) if re.fullmatch(r"[0-9a-f]{64}", digest) else None
    if image is None:
        raise NotFound("no such image")
    return image
