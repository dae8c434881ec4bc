"""Upload badge images (PNG/SVG) and serve them publicly by content hash."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response

from badge_issuer import images
from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import publishing, tenants

router = APIRouter(tags=["images"])


@router.post(
    "/api/v1/issuers/{issuer}/images",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a badge image",
    response_model=schemas.ImageOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 422),
)
def upload(
    issuer: str,
    file: Annotated[UploadFile, File(description="PNG or SVG")],
    services: ServicesDep,
    caller: PrincipalDep,
) -> dict[str, Any]:
    """Returns the image's public URL, to use as an achievement's or profile's ``image``."""
    acting_for(caller, issuer, "admin")
    data = file.file.read(images.MAX_IMAGE_BYTES + 1)
    stored = tenants.upload_image(services, caller.issuer_id, data)
    return {"id": stored.url, "mediaType": stored.media_type, "bytes": stored.size}


@router.get(
    "/images/{digest}",
    summary="A stored badge image",
    response_class=Response,
    responses={
        200: {
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **schemas.responses(404, 422),
    },
)
def image(digest: str, services: ServicesDep) -> Response:
    stored = publishing.image(services, digest)
    return Response(
        stored.data,
        media_type=stored.media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        },
    )
