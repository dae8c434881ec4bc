"""The pydantic models: spec examples round-trip exactly; OB rules are enforced."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel

from badge_issuer.credential.base import json_pointer, validate_model
from badge_issuer.credential.models import (
    Achievement,
    AchievementSubject,
    EndorsementCredential,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
    to_json,
)
from badge_issuer.errors import ValidationFailed
from tests.credential.conftest import EXAMPLE_NAMES, load_example

BASIC = "basic-openbadgecredential.json"


def model_for(document: dict[str, Any]) -> type[OpenBadgeCredential | EndorsementCredential]:
    if "EndorsementCredential" in document["type"]:
        return EndorsementCredential
    return OpenBadgeCredential


def extras(model: Any, path: str = "") -> list[str]:
    """Every property that landed in ``model_extra`` (i.e. is not modelled)."""
    found: list[str] = []
    if isinstance(model, BaseModel):
        found += [f"{path}/{key}" for key in model.model_extra or {}]
        for name in type(model).model_fields:
            found += extras(getattr(model, name), f"{path}/{name}")
    elif isinstance(model, list):
        for index, item in enumerate(model):
            found += extras(item, f"{path}/{index}")
    return found


def failure(cls: type[BaseModel], data: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate_model(cls, data)
    return caught.value


def pointers(error: ValidationFailed) -> list[str]:
    return [issue.pointer for issue in error.issues]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_spec_example_round_trips_exactly(name: str) -> None:
    original = load_example(name)
    model = model_for(original).model_validate(copy.deepcopy(original))
    assert to_json(model) == original
    assert extras(model) == []  # every property of the examples is modelled


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_round_trip_is_stable(name: str) -> None:
    original = load_example(name)
    cls = model_for(original)
    once = to_json(cls.model_validate(original))
    assert to_json(cls.model_validate(once)) == once


def test_examples_cover_both_model_classes() -> None:
    assert len(EXAMPLE_NAMES) == 8
    assert sum(model_for(load_example(n)) is EndorsementCredential for n in EXAMPLE_NAMES) == 1


def test_extension_properties_are_kept() -> None:
    document = load_example(BASIC)
    document["myExtension"] = {"deep": [1, 2.5, "x"]}
    document["credentialSubject"]["achievement"]["ext:level"] = "gold"
    assert to_json(OpenBadgeCredential.model_validate(document)) == document


def test_to_json_omits_nulls_and_empty_arrays_but_not_in_context() -> None:
    document = load_example(BASIC)
    document["@context"] = [*document["@context"], {"drop": None}]
    document["description"] = None
    document["evidence"] = []
    document["credentialSubject"]["achievement"]["tag"] = []
    document["credentialSubject"]["achievement"]["extension"] = {"a": None, "b": [], "c": 1}
    dumped = to_json(OpenBadgeCredential.model_validate(document))
    assert dumped["@context"][-1] == {"drop": None}
    assert "description" not in dumped
    assert "evidence" not in dumped
    assert "tag" not in dumped["credentialSubject"]["achievement"]
    assert dumped["credentialSubject"]["achievement"]["extension"] == {"c": 1}


def test_snake_case_names_are_accepted_and_dumped_as_json_names() -> None:
    image = Image(id="https://example.org/a.png", type="Image", caption="c")
    assert to_json(image) == {"id": "https://example.org/a.png", "type": "Image", "caption": "c"}
    profile = Profile.model_validate(
        {"id": "https://example.org/i", "type": "Profile", "given_name": "Ada", "dateOfBirth": "1815-12-10"}
    )
    assert to_json(profile) == {
        "id": "https://example.org/i",
        "type": "Profile",
        "givenName": "Ada",
        "dateOfBirth": "1815-12-10",
    }


ACHIEVEMENT: dict[str, Any] = {
    "id": "https://example.org/achievements/1",
    "type": ["Achievement"],
    "criteria": {"narrative": "Do the thing."},
    "description": "Did the thing.",
    "name": "Thing",
}


@pytest.mark.parametrize("value", ["Achievement", ["Achievement"], ["Achievement", "ext:Other"]])
def test_type_accepts_a_string_or_a_set(value: Any) -> None:
    data = dict(ACHIEVEMENT, type=value)
    assert to_json(Achievement.model_validate(data))["type"] == value


@pytest.mark.parametrize("value", ["Profile", ["Profile"], [], 5])
def test_type_must_contain_the_class(value: Any) -> None:
    error = failure(Achievement, dict(ACHIEVEMENT, type=value))
    assert set(pointers(error)) == {"/type"}


def test_credential_type_needs_both_names() -> None:
    document = load_example(BASIC)
    document["type"] = ["VerifiableCredential"]
    assert "AchievementCredential" in failure(OpenBadgeCredential, document).issues[0].message
    document["type"] = ["AchievementCredential"]
    assert "VerifiableCredential" in failure(OpenBadgeCredential, document).issues[0].message
    document["type"] = ["VerifiableCredential", "AchievementCredential"]
    OpenBadgeCredential.model_validate(document)


@pytest.mark.parametrize("value", ["Badge", "MicroCredential", "ext:MyBadgeType", "ext:a.b-c_d"])
def test_achievement_type_listed_or_ext(value: str) -> None:
    Achievement.model_validate(dict(ACHIEVEMENT, achievementType=value))


@pytest.mark.parametrize("value", ["badge", "Custom", "ext:", "ext:has space", "x-ext:Custom"])
def test_achievement_type_refuses_other_values(value: str) -> None:
    assert pointers(failure(Achievement, dict(ACHIEVEMENT, achievementType=value))) == ["/achievementType"]


def test_missing_required_achievement_fields_are_pointed_at() -> None:
    data = {key: value for key, value in ACHIEVEMENT.items() if key not in ("criteria", "name")}
    error = failure(Achievement, data)
    assert sorted(pointers(error)) == ["/criteria", "/name"]
    assert {issue.message for issue in error.issues} == {"criteria is required", "name is required"}


@pytest.mark.parametrize(
    "value",
    ["2010-01-01T00:00:00Z", "2010-01-01T00:00:00+02:00", "2010-01-01T00:00:00.123456789-05:30"],
)
def test_datetimes_stay_exact_strings(value: str) -> None:
    document = load_example(BASIC)
    document["validFrom"] = value
    document["validUntil"] = "2999-12-31T23:59:59Z"
    assert to_json(OpenBadgeCredential.model_validate(document))["validFrom"] == value


@pytest.mark.parametrize(
    "value",
    [
        "2010-01-01T00:00:00",
        "2010-01-01",
        "2010-13-01T00:00:00Z",
        "2010-01-01 00:00:00Z",
        "\uff12\uff10\uff11\uff10-01-01T00:00:00Z",  # full-width digits
        1262304000,
    ],
)
def test_valid_from_must_be_a_zoned_datetime(value: Any) -> None:
    document = load_example(BASIC)
    document["validFrom"] = value
    assert pointers(failure(OpenBadgeCredential, document)) == ["/validFrom"]


def test_activity_dates_may_omit_the_zone() -> None:
    subject = load_example(BASIC)["credentialSubject"]
    subject["activityStartDate"] = "2010-01-01T09:00:00"
    AchievementSubject.model_validate(subject)


def test_valid_until_not_before_valid_from() -> None:
    document = load_example(BASIC)
    document["validUntil"] = "2009-12-31T23:00:00-02:00"  # 01:00Z on Jan 1st: after validFrom
    OpenBadgeCredential.model_validate(document)
    document["validUntil"] = "2009-12-31T23:00:00Z"
    error = failure(OpenBadgeCredential, document)
    assert pointers(error) == ["/validUntil"]
    assert "validUntil must not be before validFrom" in error.issues[0].message


def test_context_must_be_vcdm2_then_ob() -> None:
    document = load_example(BASIC)
    document["@context"] = ["https://www.w3.org/2018/credentials/v1", document["@context"][1]]
    assert pointers(failure(OpenBadgeCredential, document)) == ["/@context"]
    document["@context"] = ["https://www.w3.org/ns/credentials/v2", "https://example.org/context.json"]
    assert pointers(failure(OpenBadgeCredential, document)) == ["/@context"]
    document["@context"] = [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    ]
    OpenBadgeCredential.model_validate(document)


def test_subject_needs_id_or_identifier() -> None:
    document = load_example(BASIC)
    del document["credentialSubject"]["id"]
    error = failure(OpenBadgeCredential, document)
    assert pointers(error) == ["/credentialSubject"]
    assert "either id or at least one identifier" in error.issues[0].message
    document["credentialSubject"]["identifier"] = []
    assert pointers(failure(OpenBadgeCredential, document)) == ["/credentialSubject"]


def test_subject_with_identifier_only() -> None:
    document = load_example(BASIC)
    del document["credentialSubject"]["id"]
    document["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "Kosher",
        }
    ]
    assert to_json(OpenBadgeCredential.model_validate(document)) == document


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"hashed": "true"}, "/hashed"),
        ({"identityHash": "sha256$1234"}, ""),
        ({"identityType": "email"}, "/identityType"),
        ({"type": "Identity"}, "/type"),
    ],
)
def test_identity_object_rules(change: dict[str, Any], pointer: str) -> None:
    data = {
        "type": "IdentityObject",
        "identityHash": "sha256$" + "0" * 64,
        "identityType": "emailAddress",
        "hashed": True,
    }
    IdentityObject.model_validate(data)
    assert pointers(failure(IdentityObject, data | change)) == [pointer]


@pytest.mark.parametrize(
    ("value", "ok"), [(42, True), (42.5, True), ("42", False), (True, False), (float("nan"), False)]
)
def test_numbers_are_json_numbers_kept_as_given(value: Any, ok: bool) -> None:
    document = load_example(BASIC)
    document["credentialSubject"]["creditsEarned"] = value
    if ok:
        dumped = to_json(OpenBadgeCredential.model_validate(document))
        assert type(dumped["credentialSubject"]["creditsEarned"]) is type(value)
    else:
        assert pointers(failure(OpenBadgeCredential, document)) == ["/credentialSubject/creditsEarned"]


def test_compacted_single_values_round_trip() -> None:
    document = load_example(BASIC)
    document["credentialSchema"] = {
        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        "type": "1EdTechJsonSchemaValidator2019",
    }
    document["issuer"] = "https://example.com/issuers/876543"
    assert to_json(OpenBadgeCredential.model_validate(document)) == document


def test_pointers_skip_union_branches() -> None:
    document = load_example(BASIC)
    document["credentialSchema"] = {"type": "1EdTechJsonSchemaValidator2019"}
    document["credentialStatus"] = [{"id": "https://example.org/status/1"}]
    document["issuer"] = {"type": ["Profile"]}
    assert sorted(pointers(failure(OpenBadgeCredential, document))) == [
        "/credentialSchema/id",
        "/credentialStatus/0/type",
        "/issuer/id",
    ]


def test_json_pointer_escapes() -> None:
    assert json_pointer(["a/b", "m~n", 0]) == "/a~1b/m~0n/0"
    assert json_pointer([]) == ""


def test_endorsement_credential_requires_name() -> None:
    document = load_example("endorsementcredential.json")
    del document["name"]
    assert pointers(failure(EndorsementCredential, document)) == ["/name"]
