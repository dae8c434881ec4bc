"""OB 3.0 Achievement (what is awarded) and the classes that describe it."""

from __future__ import annotations

from typing import Annotated

from badge_issuer.credential.base import (
    Number,
    OBModel,
    TypeValue,
    Uri,
    extensible,
    includes,
)
from badge_issuer.credential.profile import (
    CompactJws,
    EmbeddedCredential,
    IdentifierEntry,
    Image,
    Profile,
)
from badge_issuer.credential.vocab import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    RESULT_TYPES,
)

AchievementType = Annotated[str, extensible(ACHIEVEMENT_TYPES, "achievementType")]
AlignmentTargetType = Annotated[str, extensible(ALIGNMENT_TARGET_TYPES, "targetType")]
ResultType = Annotated[str, extensible(RESULT_TYPES, "resultType")]


class Criteria(OBModel):
    """How the achievement is earned: a criteria page URL and/or a Markdown narrative."""

    id: Uri | None = None
    narrative: str | None = None


class Alignment(OBModel):
    """A link to a node in an educational framework (competency, standard, credential)."""

    type: Annotated[TypeValue, includes("Alignment")]
    target_code: str | None = None
    target_description: str | None = None
    target_name: str
    target_framework: str | None = None
    target_type: AlignmentTargetType | None = None
    target_url: Uri


class RubricCriterionLevel(OBModel):
    """One level of a rubric criterion."""

    id: Uri
    type: Annotated[TypeValue, includes("RubricCriterionLevel")]
    alignment: list[Alignment] | None = None
    description: str | None = None
    level: str | None = None
    name: str
    points: str | None = None


class ResultDescription(OBModel):
    """A result an earner may get, such as a grade or a rubric level."""

    id: Uri
    type: Annotated[TypeValue, includes("ResultDescription")]
    alignment: list[Alignment] | None = None
    allowed_value: list[str] | None = None
    name: str
    required_level: Uri | None = None
    required_value: str | None = None
    result_type: ResultType
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    value_max: str | None = None
    value_min: str | None = None


class Related(OBModel):
    """Another version of the same achievement (e.g. in another language)."""

    id: Uri
    type: Annotated[TypeValue, includes("Related")]
    in_language: str | None = None
    version: str | None = None


class Achievement(OBModel):
    """The accomplishment that an AchievementCredential awards."""

    id: Uri
    type: Annotated[TypeValue, includes("Achievement")]
    alignment: list[Alignment] | None = None
    achievement_type: AchievementType | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    criteria: Criteria
    description: str
    endorsement: list[EmbeddedCredential] | None = None
    endorsement_jwt: list[CompactJws] | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | None = None
    in_language: str | None = None
    name: str
    other_identifier: list[IdentifierEntry] | None = None
    related: list[Related] | None = None
    result_description: list[ResultDescription] | None = None
    specialization: str | None = None
    tag: list[str] | None = None
    version: str | None = None
