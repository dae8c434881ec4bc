"""What API clients send: issuers, achievements (badge classes) and issuance requests.

Field names follow Open Badges 3.0 (camelCase) so that an LMS can pass through what it already
has. Unknown fields are refused (``extra="forbid"``): a typo must not silently vanish from a badge.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
SUITES = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    """Only an RFC 3339 date-time string with a timezone (no numbers, no bare dates) from outside;
    Python callers may pass an aware ``datetime``."""
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time string with a timezone, e.g. 2026-06-30T00:00:00Z")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("date-times need a timezone (e.g. 2026-06-30T00:00:00Z)")
    if not 1900 <= value.year <= 9000:
        raise ValueError("date-times must fall between the years 1900 and 9000")
    return value


#: every date-time a client sends: an RFC 3339 string with a timezone, years 1900–9000
Rfc3339 = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_aware)]


class _Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class ProfileInput(_Input):
    """An issuer's public Profile (the parts the issuer chooses)."""

    name: str = Field(min_length=1, max_length=300)
    url: HttpUrl | None = None
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=5000)
    image: HttpUrl | None = None
    linkedin_organization_id: str | None = Field(
        default=None,
        alias="linkedinOrganizationId",
        pattern=r"^[0-9]{1,20}$",
        description="the issuer's LinkedIn organization id: badge pages then offer 'Add to LinkedIn "
        "profile' with the organization linked (not part of the published Profile)",
    )


class IssuerCreate(ProfileInput):
    slug: str = Field(pattern=SLUG)
    did_method: Literal["web", "key"] = Field(default="web", alias="didMethod")
    suspension: bool = Field(default=False, description="also allocate suspension status entries")


class Criteria(_Input):
    id: HttpUrl | None = None
    narrative: str | None = Field(default=None, max_length=20000)

    @model_validator(mode="after")
    def _one_of(self) -> Criteria:
        if self.id is None and not self.narrative:
            raise ValueError("criteria needs a narrative, a URL (id), or both")
        return self


class AlignmentInput(_Input):
    target_name: str = Field(alias="targetName", min_length=1, max_length=500)
    target_url: HttpUrl = Field(alias="targetUrl")
    target_description: str | None = Field(default=None, alias="targetDescription")
    target_framework: str | None = Field(default=None, alias="targetFramework")
    target_code: str | None = Field(default=None, alias="targetCode")
    target_type: str | None = Field(default=None, alias="targetType")


class ResultDescriptionInput(_Input):
    id: str | None = Field(default=None, description="defaults to <achievement URL>#result-<n>")
    name: str = Field(min_length=1, max_length=500)
    result_type: str = Field(alias="resultType")
    allowed_value: list[str] | None = Field(default=None, alias="allowedValue")
    required_value: str | None = Field(default=None, alias="requiredValue")
    value_max: str | None = Field(default=None, alias="valueMax")
    value_min: str | None = Field(default=None, alias="valueMin")


class ImageRef(_Input):
    """An image as ``POST …/images`` returns it (``id`` is its URL), or an OB 3.0 ``Image``."""

    id: str = Field(description="the image's http(s) URL")
    type: Literal["Image"] | None = None
    media_type: str | None = Field(default=None, alias="mediaType", max_length=100)
    size: int | None = Field(default=None, alias="bytes", ge=0)
    caption: str | None = Field(default=None, max_length=1000)


def _http_url(value: str) -> str:
    if not re.match(r"^https?://\S+$", value):
        raise ValueError("image must be an http(s) URL (upload files to /images first)")
    return value


class AchievementInput(_Input):
    """A badge class. Updating one publishes a new version; issued badges keep theirs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "python-data",
                    "name": "Data Analysis with Python",
                    "description": "Cleans, explores and models tabular data with pandas.",
                    "criteria": {"narrative": "Passed the final project with at least 70%."},
                    "achievementType": "Course",
                    "tag": ["python", "data"],
                    "alignment": [
                        {
                            "targetName": "Data analysis",
                            "targetUrl": "https://esco.ec.europa.eu/en/classification/skill",
                            "targetFramework": "ESCO",
                        }
                    ],
                    "creditsAvailable": 5,
                }
            ]
        }
    )

    slug: str | None = Field(default=None, pattern=SLUG, description="URL name; from the name if absent")
    name: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=20000)
    criteria: Criteria
    image: str | ImageRef | None = Field(
        default=None, description="an http(s) URL, or the object an image upload returns (or an OB Image)"
    )
    image_caption: str | None = Field(default=None, alias="imageCaption")
    achievement_type: str | None = Field(default=None, alias="achievementType")
    tag: list[str] = Field(default_factory=list, max_length=50)
    alignment: list[AlignmentInput] = Field(default_factory=list, max_length=100)
    result_description: list[ResultDescriptionInput] = Field(
        default_factory=list, alias="resultDescription", max_length=50
    )
    credits_available: float | None = Field(default=None, alias="creditsAvailable", ge=0)
    field_of_study: str | None = Field(default=None, alias="fieldOfStudy")
    human_code: str | None = Field(default=None, alias="humanCode")
    in_language: str | None = Field(
        default=None, alias="inLanguage", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
    )
    specialization: str | None = None

    @field_validator("image")
    @classmethod
    def _image_url(cls, value: str | ImageRef | None) -> str | ImageRef | None:
        if value is not None:
            _http_url(value if isinstance(value, str) else value.id)
        return value

    @property
    def image_url(self) -> str | None:
        return self.image if isinstance(self.image, str | None) else self.image.id

    @property
    def image_text(self) -> str | None:
        """The caption: ``imageCaption``, else the image object's own ``caption``."""
        if self.image_caption or isinstance(self.image, str | None):
            return self.image_caption
        return self.image.caption


class Recipient(_Input):
    """Who receives the badge: an email (hashed into the credential) or a DID/URL."""

    email: EmailStr | None = None
    id: str | None = Field(default=None, description="a DID or URL, put in credentialSubject.id")
    name: str | None = Field(default=None, max_length=300, description="display name (optional)")

    @field_validator("id")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not _URI.match(value):
            raise ValueError("recipient id must be a DID or an absolute URL")
        return value

    @model_validator(mode="after")
    def _one_identifier(self) -> Recipient:
        if (self.email is None) == (self.id is None):
            raise ValueError("give exactly one of recipient.email or recipient.id")
        return self

    @property
    def identifier(self) -> str:
        return lookup_identifier(self.id if self.id is not None else str(self.email))


def lookup_identifier(value: str) -> str:
    """A recipient as records know it: emails trimmed and lower-cased, DIDs and URLs as given."""
    value = value.strip()
    return value.lower() if "@" in value and ":" not in value else value


class ResultInput(_Input):
    result_description: str | None = Field(default=None, alias="resultDescription")
    value: str | None = None
    status: (
        Literal["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"] | None
    ) = None
    achieved_level: str | None = Field(default=None, alias="achievedLevel")


class EvidenceInput(_Input):
    id: str | None = Field(default=None, description="URL of the evidence")
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None


def _default_suites() -> list[SUITES]:
    return ["eddsa-rdfc-2022"]


class IssueRequest(_Input):
    """One award."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient": {"email": "ada@example.org", "name": "Ada Lovelace"},
                    "result": [{"value": "92", "status": "Completed"}],
                    "evidence": [{"id": "https://lms.example.edu/submissions/42", "name": "Final project"}],
                    "activityEndDate": "2026-06-30T00:00:00Z",
                    "creditsEarned": 5,
                },
                {"recipient": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}},
            ]
        }
    )

    recipient: Recipient
    result: list[ResultInput] = Field(default_factory=list, max_length=50)
    evidence: list[EvidenceInput] = Field(default_factory=list, max_length=50)
    narrative: str | None = Field(default=None, max_length=20000)
    activity_start_date: Rfc3339 | None = Field(default=None, alias="activityStartDate")
    activity_end_date: Rfc3339 | None = Field(default=None, alias="activityEndDate")
    credits_earned: float | None = Field(default=None, alias="creditsEarned", ge=0)
    valid_from: Rfc3339 | None = Field(default=None, alias="validFrom", description="default: now")
    valid_until: Rfc3339 | None = Field(default=None, alias="validUntil")
    proof: list[SUITES] = Field(
        default_factory=_default_suites,
        min_length=1,
        max_length=2,
        description="cryptosuites to sign with; two Data Integrity suites make a proof set",
    )

    @field_validator("proof")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each cryptosuite may appear once")
        return value


class BatchRequest(_Input):
    """Up to 1,000 awards of one achievement; each item stands or falls on its own."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class BatchItem(IssueRequest):
    idempotency_key: str | None = Field(default=None, alias="idempotencyKey", max_length=255)


class ClientCreate(_Input):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Literal["issue", "revoke", "read", "admin"]] = Field(min_length=1)


class StatusChange(_Input):
    """Why the status changes: stored with who and when in the record's audit history, never published."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Plagiarised final project (case 2026/0417)"}]}
    )

    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="required; kept in the audit history (not recorded again when a retry changes nothing)",
    )
