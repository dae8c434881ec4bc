"""Upload badge images (PNG/SVG) and serve them publicly by content hash."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile, status
from fastapi.responses import Response

from badge_issuer import images
from badge_issuer.api.deps import services_of
from badge_issuer.api.security import PrincipalDep, acting_for

router = APIRouter(tags=["images"])


@router.post(
    "/api/v1/issuers/{issuer}/images", status_code=status.HTTP_201_CREATED, summary="Upload a badge image"
)
def upload(
    issuer: str,
    file: Annotated[UploadFile, File(description="PNG or SVG")],
    request: Request,
    caller: PrincipalDep,
) -> dict[str, Any]:
    """Returns the image's public URL, to use as an achievement's or profile's ``image``."""
    acting_for(caller, issuer, "admin")
    data = file.file.read(images.MAX_IMAGE_BYTES + 1)
    services = services_of(request)
    with services.sessions() as session, session.begin():
        stored = images.store(session, caller.issuer_id, data, services.clock())
        return {"id": services.urls.image(stored.id), "mediaType": stored.media_type, "bytes": len(data)}


@router.get(
    "/images/{digest}",
    summary="A stored badge image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def image(digest: str, request: Request) -> Response:
    with services_of(request).readers() as session:
        stored = images.load(session, digest)
        return Response(
            stored.data,
            media_type=stored.media_type,
            headers={
                "Cache-Control": "public, max-age=31536000, immutable",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
            },
        )
