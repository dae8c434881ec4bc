"""SchemaValidator: the shipped 1EdTech schemas, offline, with JSON Pointer issues."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any, NoReturn

import pytest
from jsonschema.validators import validator_for

from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.errors import ConfigurationError, Issue, ValidationFailed
from tests.credential.conftest import EXAMPLE_NAMES, OB_EXAMPLE_NAMES, load_example

PURL = "https://purl.imsglobal.org/spec"
OB_ACHIEVEMENT = f"{PURL}/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB_ACHIEVEMENT_STRICT = f"{PURL}/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json"
OB_ENDORSEMENT = f"{PURL}/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
UNKNOWN = "https://state.gov/schema/endorsementcredential.json"
REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def refused(call: Any, *args: Any, **kwargs: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


def pointers(error: ValidationFailed) -> list[str]:
    return [issue.pointer for issue in error.issues]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# --- the schema files ---------------------------------------------------------------------------


def test_default_dir_is_the_repository_copy_in_a_source_checkout() -> None:
    assert default_schemas_dir() == REPO_SCHEMAS
    assert (REPO_SCHEMAS / "SOURCES.md").is_file()


def test_shipped_files_match_the_sha256_in_sources_md() -> None:
    text = (REPO_SCHEMAS / "SOURCES.md").read_text(encoding="utf-8")
    listed: dict[str, str] = {}
    folder = ""
    for line in text.splitlines():
        heading = re.match(r"## (\S+/)", line)
        if heading:
            folder = heading.group(1)
        row = re.match(r"\| `([^`]+\.json)` \|.*\| `([0-9a-f]{64})` \|$", line)
        if row:
            listed[folder + row.group(1)] = row.group(2)
    on_disk = {str(path.relative_to(REPO_SCHEMAS)): path for path in REPO_SCHEMAS.rglob("*.json")}
    assert sorted(listed) == sorted(on_disk)
    assert len(listed) == 12
    for name, digest in listed.items():
        assert hashlib.sha256(on_disk[name].read_bytes()).hexdigest() == digest, name


def test_shipped_files_are_valid_draft_2019_09_schemas() -> None:
    for path in sorted(REPO_SCHEMAS.rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema#"
        validator_for(schema).check_schema(schema)


def test_schemas_are_known_by_id_and_canonical_url(schemas: SchemaValidator) -> None:
    assert schemas.has_schema(OB_ACHIEVEMENT)
    assert schemas.has_schema(OB_ACHIEVEMENT_STRICT)
    assert schemas.has_schema(OB_ENDORSEMENT)
    assert schemas.has_schema(f"{PURL}/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json")
    assert not schemas.has_schema(UNKNOWN)
    assert len(schemas.schema_urls) == 12


def test_canonical_url_is_the_json_ld_adaptation_and_strict_form_is_kept(schemas: SchemaValidator) -> None:
    compacted = load_example("basic-openbadgecredential.json")
    compacted["credentialSchema"] = {"id": OB_ACHIEVEMENT, "type": "1EdTechJsonSchemaValidator2019"}
    schemas.validate(compacted, OB_ACHIEVEMENT)  # current purl: single values allowed
    assert pointers(refused(schemas.validate, compacted, OB_ACHIEVEMENT_STRICT)) == ["/credentialSchema"]


# --- the spec examples --------------------------------------------------------------------------


@pytest.mark.parametrize("name", OB_EXAMPLE_NAMES)
def test_ob_examples_pass_both_schema_forms(schemas: SchemaValidator, name: str, no_network: None) -> None:
    example = load_example(name)
    schemas.validate_credential(example)
    schemas.validate(example)
    schemas.validate(example, OB_ACHIEVEMENT_STRICT)


def test_endorsement_example_names_a_schema_we_do_not_hold(
    schemas: SchemaValidator, no_network: None
) -> None:
    example = load_example("endorsementcredential.json")
    schemas.validate(example, OB_ENDORSEMENT)
    error = refused(schemas.validate_credential, example)
    assert pointers(error) == ["/credentialSchema/1/id"]
    assert UNKNOWN in error.issues[0].message
    assert "never fetched" in error.issues[0].message
    schemas.validate_credential(example, skip_unknown=True)


def test_all_examples_are_covered() -> None:
    assert len(EXAMPLE_NAMES) == len(OB_EXAMPLE_NAMES) + 1 == 8


# --- validate_credential ------------------------------------------------------------------------


def test_unknown_schema_is_reported_without_network(schemas: SchemaValidator, no_network: None) -> None:
    credential = load_example("docformat-sample-openbadgecredential.json")
    credential["credentialSchema"] = [
        {"id": "https://example.org/s.json", "type": "1EdTechJsonSchemaValidator2019"}
    ]
    assert pointers(refused(schemas.validate_credential, credential)) == ["/credentialSchema/0/id"]
    credential["credentialSchema"] = credential["credentialSchema"][0]
    assert pointers(refused(schemas.validate_credential, credential)) == ["/credentialSchema/id"]
    error = refused(schemas.validate, credential, "https://example.org/s.json")
    assert pointers(error) == [""]
    assert "never fetched" in error.issues[0].message


def test_only_unknown_schemas_fall_back_to_the_ob_schema(schemas: SchemaValidator) -> None:
    credential = load_example("docformat-sample-openbadgecredential.json")
    credential["credentialSchema"] = [
        {"id": "https://example.org/s.json", "type": "1EdTechJsonSchemaValidator2019"}
    ]
    del credential["issuer"]
    error = refused(schemas.validate_credential, credential, skip_unknown=True)
    assert pointers(error) == ["/issuer"]


def test_other_credential_schema_types_are_ignored(schemas: SchemaValidator) -> None:
    credential = load_example("docformat-sample-openbadgecredential.json")
    credential["credentialSchema"].append({"id": "https://example.org/s.json", "type": "JsonSchema"})
    schemas.validate_credential(credential)


def test_missing_fields_are_pointed_at(schemas: SchemaValidator) -> None:
    credential = load_example("complete-openbadgecredential.json")
    del credential["validFrom"]
    del credential["credentialSubject"]["achievement"]["name"]
    credential["credentialSubject"]["achievement"]["criteria"] = "not an object"
    error = refused(schemas.validate_credential, credential)
    assert pointers(error) == [
        "/credentialSubject/achievement/criteria",
        "/credentialSubject/achievement/name",
        "/validFrom",
    ]
    assert error.issues[1].message == "'name' is a required property"


def test_default_schema_follows_the_credential_type(schemas: SchemaValidator) -> None:
    ob = load_example("basic-openbadgecredential.json")
    schemas.validate_credential(ob)
    del ob["credentialSubject"]["achievement"]["criteria"]
    assert pointers(refused(schemas.validate_credential, ob)) == ["/credentialSubject/achievement/criteria"]
    endorsement = load_example("endorsementcredential.json")
    del endorsement["credentialSchema"]
    schemas.validate_credential(endorsement)
    del endorsement["name"]
    assert pointers(refused(schemas.validate_credential, endorsement)) == ["/name"]


def test_subject_needs_id_or_identifier(schemas: SchemaValidator) -> None:
    credential = load_example("docformat-sample-openbadgecredential.json")
    del credential["credentialSubject"]["id"]
    schemas.validate(credential)  # the schema cannot express the rule
    error = refused(schemas.validate_credential, credential)
    assert pointers(error) == ["/credentialSubject"]
    assert "either id or at least one identifier" in error.issues[0].message
    credential["credentialSubject"]["identifier"] = {
        "type": "IdentityObject",
        "identityHash": "a@example.org",
        "identityType": "emailAddress",
        "hashed": False,
    }
    schemas.validate_credential(credential)


def test_alternatives_are_unwrapped_to_the_real_problem(schemas: SchemaValidator) -> None:
    credential = load_example("basic-openbadgecredential.json")
    credential["evidence"] = [{"name": 1}]
    credential["issuer"]["id"] = 7
    credential["credentialSubject"]["achievement"]["alignment"] = {"type": "Alignment"}
    error = refused(schemas.validate_credential, credential)
    alignment = "/credentialSubject/achievement/alignment"
    assert error.issues == (
        Issue(f"{alignment}/targetName", "'targetName' is a required property"),
        Issue(f"{alignment}/targetUrl", "'targetUrl' is a required property"),
        Issue("/evidence/0/name", "got a number, the schema wants string or object"),
        Issue("/evidence/0/type", "'type' is a required property"),
        Issue("/issuer/id", "got a number, the schema wants string or object"),
    )


def test_language_maps_in_type_do_not_break_the_subject_rule(schemas: SchemaValidator) -> None:
    credential = load_example("basic-openbadgecredential.json")
    credential["type"] = [*credential["type"], {"en": "Badge"}]
    schemas.validate_credential(credential)
    del credential["credentialSubject"]["id"]
    assert pointers(refused(schemas.validate_credential, credential)) == ["/credentialSubject"]


def test_issues_are_bounded_and_messages_short() -> None:
    validator = SchemaValidator(REPO_SCHEMAS, max_issues=5)
    credential = load_example("basic-openbadgecredential.json")
    credential["evidence"] = [{"name": 1} for _ in range(40)]
    credential["credentialSubject"]["achievement"]["alignment"] = [{"type": "Alignment"}] * 40
    error = refused(validator.validate_credential, credential)
    assert len(error.issues) == 5
    assert all(len(issue.message) <= 240 for issue in error.issues)


def test_formats_are_annotations_unless_asked(schemas: SchemaValidator) -> None:
    credential = load_example("basic-openbadgecredential.json")
    credential["validFrom"] = "2010-01-01T00:00:00"
    credential["issuer"]["dateOfBirth"] = "1999-02-30"
    schemas.validate_credential(credential)
    strict = SchemaValidator(REPO_SCHEMAS, check_formats=True)
    assert pointers(refused(strict.validate_credential, credential)) == ["/issuer/dateOfBirth", "/validFrom"]
    strict.validate_credential(load_example("complete-openbadgecredential.json"))


def test_validator_is_reusable(schemas: SchemaValidator) -> None:
    good = load_example("basic-openbadgecredential.json")
    bad = dict(good, validFrom=5)
    for _ in range(3):
        schemas.validate_credential(good)
        assert pointers(refused(schemas.validate_credential, bad)) == ["/validFrom"]


# --- loading errors -----------------------------------------------------------------------------


def write(folder: Path, name: str, schema: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(schema), encoding="utf-8")


DIALECT = "https://json-schema.org/draft/2019-09/schema#"


def test_external_ref_is_refused_at_load_time(tmp_path: Path, no_network: None) -> None:
    write(tmp_path, "a.json", {"$schema": DIALECT, "$id": "https://example.org/a.json", "$ref": "b.json"})
    with pytest.raises(ConfigurationError, match=r"refers to 'b.json'.*never fetched"):
        SchemaValidator(tmp_path)
    write(
        tmp_path / "sub",
        "b.json",
        {"$schema": DIALECT, "$id": "https://example.org/b.json", "type": "string"},
    )
    validator = SchemaValidator(tmp_path)
    validator.validate("text", "https://example.org/a.json")
    assert pointers(refused(validator.validate, 5, "https://example.org/a.json")) == [""]


def test_internal_ref_must_exist(tmp_path: Path) -> None:
    write(tmp_path, "a.json", {"$schema": DIALECT, "$id": "https://example.org/a.json", "$ref": "#/$defs/X"})
    with pytest.raises(ConfigurationError, match="#/\\$defs/X"):
        SchemaValidator(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"$schema": DIALECT}, "no \\$id"),
        ({"$id": "https://example.org/a.json"}, "\\$schema"),
        ({"$schema": "https://example.org/dialect", "$id": "https://example.org/a.json"}, "\\$schema"),
        ([], "no \\$id"),
    ],
)
def test_bad_schema_files(tmp_path: Path, content: Any, message: str) -> None:
    (tmp_path / "a.json").write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        SchemaValidator(tmp_path)


def test_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        SchemaValidator(tmp_path / "missing")
    with pytest.raises(ConfigurationError, match="no JSON Schemas"):
        SchemaValidator(tmp_path)
    (tmp_path / "a.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot read"):
        SchemaValidator(tmp_path)
    write(tmp_path, "a.json", {"$schema": DIALECT, "$id": "https://example.org/a.json"})
    write(tmp_path, "b.json", {"$schema": DIALECT, "$id": "https://example.org/a.json"})
    with pytest.raises(ConfigurationError, match="repeats"):
        SchemaValidator(tmp_path)
