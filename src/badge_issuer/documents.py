"""The public JSON-LD documents we publish besides credentials: issuer Profiles and Achievements."""

from __future__ import annotations

import json
from typing import Any

from badge_issuer.credential.requests import AchievementInput
from badge_issuer.db.tables import Issuer
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, VC_V2
from badge_issuer.urls import Urls

PROFILE_CONTEXT = [VC_V2, OB_V3P0_CONTEXT]


def profile(issuer: Issuer) -> dict[str, Any]:
    """The issuer's Profile as embedded in credentials (``id`` is the issuer's DID)."""
    stored: dict[str, Any] = json.loads(issuer.profile_json)
    document: dict[str, Any] = {"id": issuer.did, "type": ["Profile"], "name": stored["name"]}
    for key in ("url", "email", "phone", "description"):
        if stored.get(key):
            document[key] = stored[key]
    if stored.get("image"):
        document["image"] = {"id": stored["image"], "type": "Image"}
    if stored.get("parentOrg"):
        document["parentOrg"] = stored["parentOrg"]
    return document


def profile_document(issuer: Issuer) -> dict[str, Any]:
    """The Profile as served on its own (with its contexts)."""
    return {"@context": list(PROFILE_CONTEXT), **profile(issuer)}


def achievement(
    data: AchievementInput, *, urls: Urls, issuer: Issuer, slug: str, version: int
) -> dict[str, Any]:
    """An Achievement version; the version before it is linked under ``related`` (which links the
    one before it, and so on), so a credential's size does not grow with the badge class's edits."""
    achievement_id = urls.achievement(issuer.slug, slug, version)
    document: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": data.name,
        "description": data.description,
        "criteria": data.criteria.model_dump(mode="json", exclude_none=True),
        "creator": {"id": issuer.did, "type": ["Profile"]},
        "version": str(version),
    }
    if data.image_url:
        image: dict[str, Any] = {"id": data.image_url, "type": "Image"}
        if data.image_text:
            image["caption"] = data.image_text
        document["image"] = image
    if data.achievement_type:
        document["achievementType"] = data.achievement_type
    if data.tag:
        document["tag"] = list(data.tag)
    if data.alignment:
        document["alignment"] = [
            {"type": ["Alignment"], **item.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for item in data.alignment
        ]
    if data.result_description:
        document["resultDescription"] = [
            {
                "id": item.id or f"{achievement_id}#result-{number}",
                "type": ["ResultDescription"],
                **item.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"id"}),
            }
            for number, item in enumerate(data.result_description, start=1)
        ]
    for field, key in (
        ("credits_available", "creditsAvailable"),
        ("field_of_study", "fieldOfStudy"),
        ("human_code", "humanCode"),
        ("in_language", "inLanguage"),
        ("specialization", "specialization"),
    ):
        value = getattr(data, field)
        if value is not None:
            document[key] = value
    if version > 1:
        previous = version - 1
        document["related"] = [
            {
                "id": urls.achievement(issuer.slug, slug, previous),
                "type": ["Related"],
                "version": str(previous),
            }
        ]
    return document


def served_achievement(document: dict[str, Any]) -> dict[str, Any]:
    return {"@context": list(PROFILE_CONTEXT), **document}
