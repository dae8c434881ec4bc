"""build_credential: unsigned OpenBadgeCredentials on VCDM 2.0."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from badge_issuer.credential.build import build_credential
from badge_issuer.credential.identity import identity_object, matches
from badge_issuer.credential.models import OpenBadgeCredential, to_json
from badge_issuer.credential.schema import SchemaValidator
from badge_issuer.errors import ValidationFailed

ISSUER: dict[str, Any] = {
    "id": "https://badges.example.org/issuers/acme",
    "type": ["Profile"],
    "name": "Acme Academy",
}
ACHIEVEMENT: dict[str, Any] = {
    "id": "https://badges.example.org/achievements/teamwork",
    "type": ["Achievement"],
    "criteria": {"narrative": "Nominated by peers."},
    "description": "Collaborates well.",
    "name": "Teamwork",
}
SUBJECT: dict[str, Any] = {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"}
START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STATUS_1 = {
    "id": "https://badges.example.org/status/1#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://badges.example.org/status/1",
}
STATUS_2 = STATUS_1 | {
    "id": "https://badges.example.org/status/2#23",
    "statusPurpose": "suspension",
    "statusListIndex": "23",
    "statusListCredential": "https://badges.example.org/status/2",
}


def build(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "credential_id": "urn:uuid:2f7f6d4e-3c3a-4f1b-9d65-7a8e1c1c0001",
        "issuer": ISSUER,
        "achievement": ACHIEVEMENT,
        "subject": SUBJECT,
        "valid_from": START,
    }
    arguments.update(overrides)
    return build_credential(**arguments)


def refused(**overrides: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        build(**overrides)
    return caught.value


def pointers(error: ValidationFailed) -> list[str]:
    return [issue.pointer for issue in error.issues]


def test_minimal_credential_exactly() -> None:
    credential = build()
    assert credential == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        ],
        "id": "urn:uuid:2f7f6d4e-3c3a-4f1b-9d65-7a8e1c1c0001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork",
        "issuer": ISSUER,
        "validFrom": "2024-05-01T12:00:00Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "type": ["AchievementSubject"],
            "achievement": ACHIEVEMENT,
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }
    assert list(credential) == [
        "@context",
        "id",
        "type",
        "name",
        "issuer",
        "validFrom",
        "credentialSubject",
        "credentialSchema",
    ]
    assert list(credential["credentialSubject"]) == ["id", "type", "achievement"]


def test_output_is_deterministic() -> None:
    assert json.dumps(build(credential_status=[STATUS_1])) == json.dumps(build(credential_status=[STATUS_1]))


def test_full_credential_validates_against_the_ob_schema(schemas: SchemaValidator) -> None:
    credential = build(
        valid_until=START + timedelta(days=365),
        name="Teamwork (2024)",
        description="Awarded for the spring project.",
        image={"id": "https://badges.example.org/images/teamwork.png", "type": "Image"},
        evidence=[{"type": ["Evidence"], "id": "https://example.org/project", "name": "Project"}],
        credential_status=[STATUS_1],
        awarded_date=START - timedelta(days=1),
    )
    schemas.validate_credential(credential)
    schemas.validate(credential)
    assert to_json(OpenBadgeCredential.model_validate(credential)) == credential
    assert credential["name"] == "Teamwork (2024)"
    assert credential["validUntil"] == "2025-05-01T12:00:00Z"
    assert credential["awardedDate"] == "2024-04-30T12:00:00Z"
    assert credential["credentialStatus"] == STATUS_1
    assert list(credential)[3:7] == ["name", "description", "image", "issuer"]


def test_identifier_subject(schemas: SchemaValidator) -> None:
    identifier = identity_object("Learner@Example.org", salt="pepper-pepper-pepper")
    credential = build(subject={"identifier": [identifier]})
    schemas.validate_credential(credential)
    assert "id" not in credential["credentialSubject"]
    stored = credential["credentialSubject"]["identifier"][0]
    assert matches(stored, "learner@example.org", "emailAddress")


def test_datetimes_in_utc_to_the_second() -> None:
    plus_two = timezone(timedelta(hours=2))
    credential = build(
        valid_from=datetime(2024, 5, 1, 14, 0, 0, 987654, tzinfo=plus_two),
        valid_until=datetime(2024, 5, 2, 0, 0, 0, tzinfo=plus_two),
    )
    assert credential["validFrom"] == "2024-05-01T12:00:00Z"
    assert credential["validUntil"] == "2024-05-01T22:00:00Z"


@pytest.mark.parametrize("valid_from", [None, datetime(2024, 5, 1, 12, 0), "2024-05-01T12:00:00Z"])
def test_valid_from_is_required_and_zoned(valid_from: Any) -> None:
    assert pointers(refused(valid_from=valid_from)) == ["/validFrom"]


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(microseconds=500), timedelta(hours=-1)])
def test_valid_until_must_be_later(delta: timedelta) -> None:
    assert pointers(refused(valid_until=START + delta)) == ["/validUntil"]


def test_name_defaults_to_the_achievement_name_and_is_required() -> None:
    assert build()["name"] == "Teamwork"
    assert build(name="Given")["name"] == "Given"
    assert pointers(refused(name="  ")) == ["/name"]
    nameless = {key: value for key, value in ACHIEVEMENT.items() if key != "name"}
    assert pointers(refused(achievement=nameless)) == ["/name", "/credentialSubject/achievement/name"]
    # an Achievement's own name is required by OB whatever the credential's name
    assert pointers(refused(achievement=nameless, name="Given")) == ["/credentialSubject/achievement/name"]


def test_missing_achievement_fields_are_pointed_at() -> None:
    broken = {key: value for key, value in ACHIEVEMENT.items() if key not in ("criteria", "type")}
    assert sorted(pointers(refused(achievement=broken))) == [
        "/credentialSubject/achievement/criteria",
        "/credentialSubject/achievement/type",
    ]


def test_issuer_is_validated() -> None:
    assert pointers(refused(issuer={"type": ["Profile"], "name": "No id"})) == ["/issuer/id"]


def test_subject_needs_id_or_identifier() -> None:
    error = refused(subject={})
    assert pointers(error) == ["/credentialSubject"]
    assert "either id or at least one identifier" in error.issues[0].message
    assert pointers(refused(subject={"identifier": []})) == ["/credentialSubject"]


def test_subject_must_not_carry_the_achievement() -> None:
    error = refused(subject={"id": "did:example:1", "achievement": ACHIEVEMENT})
    assert pointers(error) == ["/credentialSubject/achievement"]


def test_subject_type_is_kept_when_given() -> None:
    subject = {"id": "did:example:1", "type": "AchievementSubject", "role": "Captain"}
    built = build(subject=subject)["credentialSubject"]
    assert built["type"] == "AchievementSubject"
    assert built["role"] == "Captain"


def test_no_status_entry_means_no_credential_status() -> None:
    assert "credentialStatus" not in build(credential_status=[])


def test_several_status_entries_are_a_list_which_the_ob_schema_refuses(schemas: SchemaValidator) -> None:
    credential = build(credential_status=[STATUS_1, STATUS_2])
    assert credential["credentialStatus"] == [STATUS_1, STATUS_2]
    # VCDM 2.0 allows several status entries, but the OB 3.0 schema (both forms) types
    # credentialStatus as a single CredentialStatus object (0..1 in the OB data model).
    with pytest.raises(ValidationFailed) as caught:
        schemas.validate_credential(credential)
    assert pointers(caught.value) == ["/credentialStatus"]


def test_extra_contexts_are_appended_once() -> None:
    extra = "https://w3id.org/security/suites/ed25519-2020/v1"
    credential = build(extra_contexts=[extra, "https://www.w3.org/ns/credentials/v2", extra])
    assert credential["@context"][3:] == [extra]


def test_evidence_is_validated() -> None:
    assert pointers(refused(evidence=[{"type": ["Evidence"]}, {"name": "x"}])) == ["/evidence/1/type"]


def test_credential_id_must_be_a_uri() -> None:
    assert pointers(refused(credential_id="not a uri")) == ["/id"]
