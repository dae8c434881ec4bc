"""An issuer's skills: the alignments its achievements name, each with the achievements that
evidence it (public; a page for browsers, JSON for everyone else)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from badge_issuer import errors
from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.negotiation import prefers_html
from badge_issuer.api.routes.pages import pages_of
from badge_issuer.application import skills

router = APIRouter(tags=["achievements"])


def _negotiated() -> dict[int | str, dict[str, Any]]:
    documented = schemas.responses(404, ok=200, model=schemas.IssuerSkills)
    documented[200]["content"]["text/html"] = {"schema": schemas.ref(schemas.HtmlPage)}
    return documented


@router.get(
    "/issuers/{issuer}/skills",
    summary="The skills (alignments) the issuer's achievements name, with the achievements for each "
    "(a page for browsers)",
    response_class=Response,
    responses=_negotiated(),
)
def issuer_skills(issuer: str, request: Request, services: ServicesDep) -> Response:
    if prefers_html(request.headers.get("accept")):
        pages = pages_of(request)
        try:
            page = skills.skills_page(services, issuer)
        except errors.BadgeIssuerError as exc:
            answer = pages.error(exc)
        else:
            answer = pages.render("skills.html", page=page)
        answer.headers["Vary"] = "Accept"
        return answer
    page = skills.skills_page(services, issuer)
    body = {
        "issuer": page.issuer_page,
        "skills": [
            {
                key: value
                for key, value in (
                    ("targetName", skill.alignment.name),
                    ("targetUrl", skill.alignment.url),
                    ("targetFramework", skill.alignment.framework),
                    ("targetCode", skill.alignment.code),
                    ("achievements", [url for _, url in skill.achievements]),
                )
                if value is not None
            }
            for skill in page.skills
        ],
    }
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300", "Vary": "Accept"})
