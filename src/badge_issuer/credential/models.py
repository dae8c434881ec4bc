"""Pydantic models of the OB 3.0 credential classes, and ``to_json`` (OB serialization).

Achievement and Profile classes live in ``achievement`` and ``profile``; they are re-exported here.
Datetimes stay strings, so a credential that is loaded and dumped again is unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from badge_issuer.credential.achievement import (
    Achievement,
    Alignment,
    Criteria,
    Related,
    ResultDescription,
    RubricCriterionLevel,
)
from badge_issuer.credential.base import (
    DateTime,
    DateTimeZ,
    Number,
    OBModel,
    OneOrMany,
    TypeValue,
    Uri,
    includes,
    one_of,
    parse_date_time,
    to_json,
)
from badge_issuer.credential.identity import parse_identity_hash
from badge_issuer.credential.profile import (
    Address,
    CompactJws,
    EmbeddedCredential,
    GeoCoordinates,
    IdentifierEntry,
    IdentifierType,
    Image,
    Profile,
)
from badge_issuer.credential.vocab import OB_CONTEXT_PATTERN, RESULT_STATUSES, VCDM_V2_CONTEXT

__all__ = [
    "Achievement",
    "AchievementSubject",
    "Address",
    "Alignment",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Proof",
    "RefreshService",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "TermsOfUse",
    "to_json",
]


def _check_context(value: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
    if len(value) < 2 or value[0] != VCDM_V2_CONTEXT:
        raise ValueError(f"@context must start with {VCDM_V2_CONTEXT!r} and an OB 3.0 context")
    second = value[1]
    if not isinstance(second, str) or OB_CONTEXT_PATTERN.fullmatch(second) is None:
        raise ValueError("@context item 1 must be an OB 3.0 context URL")
    return value


def _profile_or_uri(value: Any) -> str:
    return "uri" if isinstance(value, str) else "profile"


Context = Annotated[list[str | dict[str, Any]], AfterValidator(_check_context)]
#: ``issuer``: a Profile, or just its URI
ProfileRef = Annotated[
    Annotated[Uri, Tag("uri")] | Annotated[Profile, Tag("profile")],
    Discriminator(_profile_or_uri),
]


class IdentityObject(OBModel):
    """A recipient identifier, hashed (``sha256$…``/``md5$…``) or in plain text."""

    type: Literal["IdentityObject"]
    hashed: StrictBool
    identity_hash: str
    identity_type: IdentifierType
    salt: str | None = None

    @model_validator(mode="after")
    def _hash_format(self) -> Self:
        if self.hashed and parse_identity_hash(self.identity_hash) is None:
            raise ValueError("identityHash must be 'md5$<32 hex>' or 'sha256$<64 hex>'")
        return self


class Result(OBModel):
    """A result the earner got (grade, rubric level, status)."""

    type: Annotated[TypeValue, includes("Result")]
    achieved_level: Uri | None = None
    alignment: list[Alignment] | None = None
    result_description: Uri | None = None
    status: Annotated[str, one_of(RESULT_STATUSES, "status")] | None = None
    value: str | None = None


class Evidence(OBModel):
    """Evidence of the work that earned the achievement."""

    id: Uri | None = None
    type: Annotated[TypeValue, includes("Evidence")]
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class AchievementSubject(OBModel):
    """The earner and the achievement awarded; needs ``id`` or at least one ``identifier``."""

    id: Uri | None = None
    type: Annotated[TypeValue, includes("AchievementSubject")]
    identifier: list[IdentityObject] | None = None
    achievement: Achievement
    activity_start_date: DateTime | None = None
    activity_end_date: DateTime | None = None
    credits_earned: Number | None = None
    image: Image | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: list[Result] | None = None
    role: str | None = None
    source: Profile | None = None
    term: str | None = None

    @model_validator(mode="after")
    def _id_or_identifier(self) -> Self:
        if not self.id and not self.identifier:
            raise ValueError("either id or at least one identifier MUST be supplied")
        return self


class EndorsementSubject(OBModel):
    """What an endorsement is about, with the endorser's comment."""

    id: Uri
    type: Annotated[TypeValue, includes("EndorsementSubject")]
    endorsement_comment: str | None = None


class CredentialSchema(OBModel):
    """A schema the credential claims to conform to."""

    id: Uri
    type: str


class CredentialStatus(OBModel):
    """Where to check revocation or suspension."""

    id: Uri | None = None
    type: str


class RefreshService(OBModel):
    """Where to get a refreshed copy of the credential."""

    id: Uri
    type: str


class TermsOfUse(OBModel):
    """Terms of use of the credential."""

    id: Uri | None = None
    type: str


class Proof(OBModel):
    """An embedded proof (checked by the crypto layer, not here)."""

    type: str
    created: DateTime | None = None
    cryptosuite: str | None = None
    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None
    verification_method: str | None = None


class _Credential(OBModel):
    """Properties shared by both OB 3.0 credential classes (VCDM 2.0)."""

    context: Context = Field(alias="@context")
    id: Uri
    type: TypeValue
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    issuer: ProfileRef
    valid_from: DateTimeZ
    valid_until: DateTimeZ | None = None
    awarded_date: DateTimeZ | None = None
    credential_subject: OBModel
    evidence: list[Evidence] | None = None
    credential_schema: OneOrMany[CredentialSchema] | None = None
    credential_status: OneOrMany[CredentialStatus] | None = None
    refresh_service: RefreshService | None = None
    terms_of_use: OneOrMany[TermsOfUse] | None = None
    proof: OneOrMany[Proof] | None = None

    @field_validator("valid_until")
    @classmethod
    def _validity_period(cls, until: str | None, info: ValidationInfo) -> str | None:
        start = info.data.get("valid_from")
        if until is not None and start is not None and parse_date_time(until) < parse_date_time(start):
            raise ValueError("validUntil must not be before validFrom")
        return until


class OpenBadgeCredential(_Credential):
    """An AchievementCredential (alias OpenBadgeCredential): one achievement, one earner."""

    type: Annotated[
        TypeValue,
        includes("VerifiableCredential"),
        includes("AchievementCredential", "OpenBadgeCredential"),
    ]
    credential_subject: AchievementSubject
    endorsement: list[EmbeddedCredential] | None = None
    endorsement_jwt: list[CompactJws] | None = None


class EndorsementCredential(_Credential):
    """A third party's endorsement of a profile, achievement or credential."""

    type: Annotated[TypeValue, includes("VerifiableCredential"), includes("EndorsementCredential")]
    name: str
    credential_subject: EndorsementSubject
