"""Build an unsigned OB 3.0 OpenBadgeCredential (VC Data Model 2.0)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from badge_issuer.clock import isoformat_z
from badge_issuer.credential.base import issues_from, to_json
from badge_issuer.credential.identity import identity_object
from badge_issuer.credential.models import OpenBadgeCredential
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.credential.vocab import (
    JSON_SCHEMA_VALIDATOR_2019,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VCDM_V2_CONTEXT,
)
from badge_issuer.errors import Issue, ValidationFailed

BASE_CONTEXTS = (VCDM_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT)
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")


def _moment(value: datetime | None, pointer: str, issues: list[Issue]) -> datetime | None:
    """``value`` in UTC to the second; records an issue unless it is a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        issues.append(Issue(pointer, "must be a timezone-aware datetime"))
        return None
    return value.astimezone(UTC).replace(microsecond=0)


def build_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    achievement: Mapping[str, Any],
    subject: Mapping[str, Any],
    valid_from: datetime,
    valid_until: datetime | None = None,
    name: str | None = None,
    description: str | None = None,
    image: Mapping[str, Any] | None = None,
    evidence: Sequence[Mapping[str, Any]] = (),
    credential_status: Sequence[Mapping[str, Any]] = (),
    awarded_date: datetime | None = None,
    extra_contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential as JSON, validated by the models.

    ``issuer`` is Profile JSON and ``achievement`` is Achievement JSON. ``subject`` is
    AchievementSubject JSON without ``achievement``, e.g. ``{"id": did}`` or
    ``{"identifier": [...]}``; its ``type`` defaults to ``["AchievementSubject"]``. ``name``
    defaults to the achievement's name. Datetimes are written in UTC, to the second, with ``Z``.
    Raises ``ValidationFailed``; each issue's pointer locates the problem in the output document.
    """
    issues: list[Issue] = []
    start = _moment(valid_from, "/validFrom", issues)
    end = _moment(valid_until, "/validUntil", issues) if valid_until is not None else None
    if start is not None and end is not None and end <= start:
        issues.append(Issue("/validUntil", "validUntil must be later than validFrom"))
    awarded = _moment(awarded_date, "/awardedDate", issues) if awarded_date is not None else None
    title = name if name is not None else achievement.get("name")
    if not isinstance(title, str) or not title.strip():
        issues.append(Issue("/name", "name is required: pass name= or give the achievement a name"))
    if "achievement" in subject:
        issues.append(Issue("/credentialSubject/achievement", "pass the achievement as achievement="))

    credential_subject: dict[str, Any] = {"type": ["AchievementSubject"], **subject}
    credential_subject["achievement"] = dict(achievement)
    contexts = list(BASE_CONTEXTS)
    contexts.extend(url for url in extra_contexts if url not in contexts)
    document: dict[str, Any] = {
        "@context": contexts,
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": title,
        "description": description,
        "image": dict(image) if image is not None else None,
        "issuer": dict(issuer),
        "validFrom": isoformat_z(start) if start is not None else None,
        "validUntil": isoformat_z(end) if end is not None else None,
        "awardedDate": isoformat_z(awarded) if awarded is not None else None,
        "credentialSubject": credential_subject,
        "evidence": [dict(item) for item in evidence],
        "credentialSchema": [{"id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": JSON_SCHEMA_VALIDATOR_2019}],
    }
    if len(credential_status) == 1:
        document["credentialStatus"] = dict(credential_status[0])
    elif credential_status:
        document["credentialStatus"] = [dict(entry) for entry in credential_status]

    try:
        model = OpenBadgeCredential.model_validate(document)
    except ValidationError as exc:
        reported = {issue.pointer for issue in issues}
        issues.extend(i for i in issues_from(exc, document) if i.pointer not in reported)
        raise ValidationFailed("cannot build the credential", issues) from None
    if issues:
        raise ValidationFailed("cannot build the credential", issues)
    return to_json(model)


def achievement_subject(request: IssueRequest, new_salt: Callable[[], str]) -> dict[str, Any]:
    """The AchievementSubject of an issue request (an email recipient gets a salted identity hash)."""
    recipient = request.recipient
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    identifiers: list[dict[str, Any]] = []
    if recipient.id is not None:
        subject["id"] = recipient.id
    else:
        identifiers.append(identity_object(recipient.identifier, "emailAddress", salt=new_salt()))
    if recipient.name:
        identifiers.append(
            {
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": recipient.name,
                "identityType": "name",
            }
        )
    if identifiers:
        subject["identifier"] = identifiers
    if request.result:
        subject["result"] = [
            {"type": ["Result"], **item.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for item in request.result
        ]
    for value, key in (
        (request.activity_start_date, "activityStartDate"),
        (request.activity_end_date, "activityEndDate"),
    ):
        if value is not None:
            subject[key] = isoformat_z(value)
    if request.credits_earned is not None:
        subject["creditsEarned"] = request.credits_earned
    if request.narrative:
        subject["narrative"] = request.narrative
    return subject
